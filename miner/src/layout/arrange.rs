//! The part of a layered (Sugiyama-style) layout that knows nothing of what the nodes are:
//! break cycles, assign layers by longest path, route long edges through virtual nodes, order
//! each layer by barycentres, then place nodes along their layer. The process map and the
//! BPMN diagram both arrange their graphs here, each turning layers and places into its own
//! coordinates (the map top-down, BPMN left to right).

/// Gap between two nodes of a layer.
pub const NODE_GAP: f64 = 36.0;
const DUMMY_WIDTH: f64 = 24.0;
const ORDER_SWEEPS: usize = 12;
const PLACEMENT_PASSES: usize = 8;

/// An edge while arranging: from, to, its index in the caller's list, whether it was turned
/// around to break a cycle.
type Edge = (usize, usize, usize, bool);

/// Where every node and every edge's bends go, in layers and places along them.
#[derive(Debug, Clone)]
pub struct Arrangement {
    /// The layer of every node, the virtual bend nodes of long edges after the real ones.
    pub layer_of: Vec<usize>,
    /// The extent along its layer of every node, virtual ones included.
    pub widths: Vec<f64>,
    /// The centre along its layer of every node, virtual ones included (0 is the middle).
    pub places: Vec<f64>,
    /// Each edge between two nodes: its index, the nodes it passes (upper layer first), and
    /// whether it runs against the layers (an edge turned around to break a cycle).
    pub chains: Vec<(usize, Vec<usize>, bool)>,
    /// Each edge from a node to itself: the node and the edge's index.
    pub self_loops: Vec<(usize, usize)>,
}

/// Arranges a graph of `widths.len()` nodes, each `widths[v]` wide along its layer, and
/// `edges` (from, to, weight): node 0 in the first layer, the last node below all others.
/// Of the edges that close a cycle, the weakest are turned around.
pub fn arrange(widths: &[f64], edges: &[(usize, usize, u64)]) -> Arrangement {
    let n = widths.len();
    let mut graph: Vec<Edge> = edges
        .iter()
        .enumerate()
        .map(|(i, &(from, to, _))| (from, to, i, false))
        .collect();
    let weights: Vec<u64> = edges.iter().map(|e| e.2).collect();
    break_cycles(n, &mut graph, &weights);
    let layer = assign_layers(n, &graph);

    // Route every edge through one virtual node per layer crossed.
    let mut layer_of = layer.clone();
    let mut widths = widths.to_vec();
    let mut segments: Vec<(usize, usize)> = Vec::new();
    let mut chains: Vec<(usize, Vec<usize>, bool)> = Vec::new();
    let mut self_loops = Vec::new();
    for &(from, to, index, reversed) in &graph {
        if from == to {
            self_loops.push((from, index));
            continue;
        }
        let (top, bottom) = if layer[from] <= layer[to] {
            (from, to)
        } else {
            (to, from)
        };
        let mut chain = vec![top];
        for l in layer[top] + 1..layer[bottom] {
            layer_of.push(l);
            widths.push(DUMMY_WIDTH);
            chain.push(layer_of.len() - 1);
        }
        chain.push(bottom);
        for w in chain.windows(2) {
            segments.push((w[0], w[1]));
        }
        let upward = reversed ^ (layer[from] > layer[to]);
        chains.push((index, chain, upward));
    }
    let layers = order_layers(&layer_of, &segments);
    let places = place(&layers, &widths, &segments);
    Arrangement {
        layer_of,
        widths,
        places,
        chains,
        self_loops,
    }
}

/// Reverses the edges that close a cycle in a depth-first walk from the first node, following
/// the strongest edges first.
fn break_cycles(n: usize, edges: &mut [Edge], weights: &[u64]) {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        if e.0 != e.1 {
            out[e.0].push(i);
        }
    }
    for list in &mut out {
        list.sort_by_key(|&i| std::cmp::Reverse(weights[edges[i].2]));
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark = vec![Mark::New; n];
    let mut to_reverse = Vec::new();
    for root in 0..n {
        if mark[root] != Mark::New {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        mark[root] = Mark::Active;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&e) = out[v].get(*next) {
                *next += 1;
                let w = edges[e].1;
                match mark[w] {
                    Mark::New => {
                        mark[w] = Mark::Active;
                        stack.push((w, 0));
                    }
                    Mark::Active => to_reverse.push(e),
                    Mark::Done => {}
                }
            } else {
                mark[v] = Mark::Done;
                stack.pop();
            }
        }
    }
    for e in to_reverse {
        let (f, t, arc, _) = edges[e];
        edges[e] = (t, f, arc, true);
    }
}

/// Longest-path layering of the now acyclic graph; the last node goes below everything.
fn assign_layers(n: usize, edges: &[Edge]) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(f, t, _, _) in edges {
        if f != t {
            out[f].push(t);
            indegree[t] += 1;
        }
    }
    let mut layer = vec![0usize; n];
    let mut queue: Vec<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
    while let Some(v) = queue.pop() {
        for &w in &out[v] {
            layer[w] = layer[w].max(layer[v] + 1);
            indegree[w] -= 1;
            if indegree[w] == 0 {
                queue.push(w);
            }
        }
    }
    let end = n - 1;
    let deepest = (0..end).map(|v| layer[v]).max().unwrap_or(0);
    layer[end] = deepest + 1;
    layer[0] = 0;
    layer
}

/// Orders the nodes of each layer to reduce crossings (barycentre heuristic, alternating sweeps).
fn order_layers(layer_of: &[usize], segments: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let depth = layer_of.iter().max().map_or(0, |&d| d + 1);
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (v, &l) in layer_of.iter().enumerate() {
        layers[l].push(v);
    }
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); layer_of.len()];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); layer_of.len()];
    for &(a, b) in segments {
        down[a].push(b);
        up[b].push(a);
    }
    let mut position = vec![0.0; layer_of.len()];
    let index = |layers: &Vec<Vec<usize>>, position: &mut Vec<f64>| {
        for layer in layers {
            for (i, &v) in layer.iter().enumerate() {
                position[v] = i as f64;
            }
        }
    };
    index(&layers, &mut position);
    for sweep in 0..ORDER_SWEEPS {
        let downward = sweep % 2 == 0;
        let range: Vec<usize> = if downward {
            (1..depth).collect()
        } else {
            (0..depth.saturating_sub(1)).rev().collect()
        };
        for l in range {
            let neighbours = if downward { &up } else { &down };
            let mut keyed: Vec<(f64, usize)> = layers[l]
                .iter()
                .map(|&v| {
                    let ns = &neighbours[v];
                    let key = if ns.is_empty() {
                        position[v]
                    } else {
                        ns.iter().map(|&w| position[w]).sum::<f64>() / ns.len() as f64
                    };
                    (key, v)
                })
                .collect();
            keyed.sort_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then(position[a.1].total_cmp(&position[b.1]))
            });
            layers[l] = keyed.into_iter().map(|(_, v)| v).collect();
            for (i, &v) in layers[l].iter().enumerate() {
                position[v] = i as f64;
            }
        }
    }
    layers
}

/// Horizontal placement: pull each node towards its neighbours, then push apart to keep gaps.
fn place(layers: &[Vec<usize>], widths: &[f64], segments: &[(usize, usize)]) -> Vec<f64> {
    let mut x = vec![0.0; widths.len()];
    for layer in layers {
        let total: f64 = layer.iter().map(|&v| widths[v] + NODE_GAP).sum();
        let mut left = -total / 2.0;
        for &v in layer {
            x[v] = left + widths[v] / 2.0;
            left += widths[v] + NODE_GAP;
        }
    }
    let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); widths.len()];
    for &(a, b) in segments {
        neighbours[a].push(b);
        neighbours[b].push(a);
    }
    for _ in 0..PLACEMENT_PASSES {
        for layer in layers {
            let wanted: Vec<f64> = layer
                .iter()
                .map(|&v| {
                    let ns = &neighbours[v];
                    if ns.is_empty() {
                        x[v]
                    } else {
                        ns.iter().map(|&w| x[w]).sum::<f64>() / ns.len() as f64
                    }
                })
                .collect();
            for (&v, w) in layer.iter().zip(&wanted) {
                x[v] = *w;
            }
            // Resolve overlaps left to right, then centre the layer's shift around its wishes.
            for i in 1..layer.len() {
                let (a, b) = (layer[i - 1], layer[i]);
                let min = x[a] + (widths[a] + widths[b]) / 2.0 + NODE_GAP;
                if x[b] < min {
                    x[b] = min;
                }
            }
            let drift: f64 = layer
                .iter()
                .zip(&wanted)
                .map(|(&v, w)| x[v] - w)
                .sum::<f64>()
                / layer.len().max(1) as f64;
            for &v in layer {
                x[v] -= drift;
            }
        }
    }
    x
}
