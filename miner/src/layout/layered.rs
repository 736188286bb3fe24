//! Layered layout: break cycles, assign layers by longest path, route long edges through
//! virtual nodes, order each layer by barycentres, then place nodes and straighten edges.

use crate::filter::{Arc, ProcessMap};
use std::collections::HashMap;

const NODE_HEIGHT: f64 = 46.0;
const LAYER_GAP: f64 = 96.0;
const NODE_GAP: f64 = 36.0;
const DUMMY_WIDTH: f64 = 24.0;
const MARGIN: f64 = 30.0;
const ORDER_SWEEPS: usize = 12;
const PLACEMENT_PASSES: usize = 8;

/// What a placed node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// The start of all cases.
    Start,
    /// The end of all cases.
    End,
    /// An activity (index into [`ProcessMap::activities`]).
    Activity(usize),
}

/// A node with its box: `x`, `y` are the centre.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedNode {
    /// What it is.
    pub kind: NodeKind,
    /// Centre x.
    pub x: f64,
    /// Centre y.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// An arc's route: points from its source's border to its target's border.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedEdge {
    /// Index into [`ProcessMap::arcs`].
    pub arc: usize,
    /// The route, source first.
    pub points: Vec<(f64, f64)>,
    /// Whether it loops from an activity back to itself.
    pub self_loop: bool,
}

/// Coordinates of a whole map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapLayout {
    /// Total width.
    pub width: f64,
    /// Total height.
    pub height: f64,
    /// Placed nodes: start, activities that appear, end.
    pub nodes: Vec<PlacedNode>,
    /// Routed arcs.
    pub edges: Vec<PlacedEdge>,
}

/// Estimated width of an activity box for a label of `chars` characters.
fn node_width(label: &str) -> f64 {
    (label.chars().count() as f64 * 7.2 + 28.0).clamp(120.0, 300.0)
}

struct Graph {
    kinds: Vec<NodeKind>,
    widths: Vec<f64>,
    /// Edges for layering: (from, to, arc index, reversed).
    edges: Vec<(usize, usize, usize, bool)>,
}

/// Lays out `map` top-down: start at the top, end at the bottom.
pub fn layout(map: &ProcessMap) -> MapLayout {
    let graph = build_graph(map);
    let n = graph.kinds.len();
    let layer = assign_layers(&graph);

    // Route every edge through one virtual node per layer crossed.
    let mut layer_of = layer.clone();
    let mut widths = graph.widths.clone();
    let mut segments: Vec<(usize, usize)> = Vec::new();
    let mut chains: Vec<(usize, Vec<usize>, bool)> = Vec::new();
    let mut self_loops = Vec::new();
    for &(from, to, arc, reversed) in &graph.edges {
        if from == to {
            self_loops.push((from, arc));
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
        chains.push((arc, chain, upward));
    }

    let layers = order_layers(&layer_of, &segments);
    let xs = place(&layers, &widths, &segments);
    let y_of = |node: usize| {
        MARGIN + NODE_HEIGHT / 2.0 + layer_of[node] as f64 * (NODE_HEIGHT + LAYER_GAP)
    };

    let min_x = (0..layer_of.len())
        .map(|v| xs[v] - widths[v] / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = MARGIN - if min_x.is_finite() { min_x } else { 0.0 };
    let nodes: Vec<PlacedNode> = (0..n)
        .map(|v| PlacedNode {
            kind: graph.kinds[v],
            x: xs[v] + shift,
            y: y_of(v),
            width: widths[v],
            height: if matches!(graph.kinds[v], NodeKind::Activity(_)) {
                NODE_HEIGHT
            } else {
                28.0
            },
        })
        .collect();

    let mut edges: Vec<PlacedEdge> = chains
        .into_iter()
        .map(|(arc, chain, upward)| {
            let mut points: Vec<(f64, f64)> =
                chain.iter().map(|&v| (xs[v] + shift, y_of(v))).collect();
            let (first, last) = (chain[0], chain[chain.len() - 1]);
            let top_h = nodes.get(first).map_or(0.0, |p| p.height / 2.0);
            let bottom_h = nodes.get(last).map_or(0.0, |p| p.height / 2.0);
            points[0].1 += top_h;
            let end = points.len() - 1;
            points[end].1 -= bottom_h;
            if upward {
                // Backward arcs leave and enter on the sides, so they do not hide forward ones.
                points[0] = (nodes[first].x + nodes[first].width / 2.0, nodes[first].y);
                points[end] = (nodes[last].x + nodes[last].width / 2.0, nodes[last].y);
                points.reverse();
            }
            PlacedEdge {
                arc,
                points,
                self_loop: false,
            }
        })
        .collect();
    for (node, arc) in self_loops {
        let p = &nodes[node];
        let (right, y) = (p.x + p.width / 2.0, p.y);
        edges.push(PlacedEdge {
            arc,
            points: vec![(right, y - 8.0), (right + 26.0, y), (right, y + 8.0)],
            self_loop: true,
        });
    }
    edges.sort_by_key(|e| e.arc);

    let width = (0..layer_of.len())
        .map(|v| xs[v] + shift + widths[v] / 2.0)
        .fold(0.0, f64::max)
        + MARGIN
        + 40.0;
    let height = nodes
        .iter()
        .map(|p| p.y + p.height / 2.0)
        .fold(0.0, f64::max)
        + MARGIN;
    MapLayout {
        width,
        height,
        nodes,
        edges,
    }
}

fn build_graph(map: &ProcessMap) -> Graph {
    let mut kinds = vec![NodeKind::Start];
    let mut index: HashMap<usize, usize> = HashMap::new();
    let mut node = |kinds: &mut Vec<NodeKind>, a: usize| {
        *index.entry(a).or_insert_with(|| {
            kinds.push(NodeKind::Activity(a));
            kinds.len() - 1
        })
    };
    let mut raw = Vec::new();
    for (i, arc) in map.arcs.iter().enumerate() {
        match arc {
            Arc::Start { to, .. } => raw.push((Some(0), Some(node(&mut kinds, *to)), i)),
            Arc::Flow(e) => {
                let f = node(&mut kinds, e.from);
                raw.push((Some(f), Some(node(&mut kinds, e.to)), i));
            }
            Arc::End { from, .. } => raw.push((Some(node(&mut kinds, *from)), None, i)),
        }
    }
    kinds.push(NodeKind::End);
    let end = kinds.len() - 1;
    let widths = kinds
        .iter()
        .map(|k| match k {
            NodeKind::Activity(a) => node_width(&map.activities[*a].name),
            _ => 64.0,
        })
        .collect();
    let mut edges: Vec<(usize, usize, usize, bool)> = raw
        .into_iter()
        .map(|(f, t, i)| (f.unwrap_or(0), t.unwrap_or(end), i, false))
        .collect();
    break_cycles(kinds.len(), &mut edges, map);
    Graph {
        kinds,
        widths,
        edges,
    }
}

/// Reverses the edges that close a cycle in a depth-first walk from the start, strongest arcs first.
fn break_cycles(n: usize, edges: &mut [(usize, usize, usize, bool)], map: &ProcessMap) {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        if e.0 != e.1 {
            out[e.0].push(i);
        }
    }
    for list in &mut out {
        list.sort_by_key(|&i| std::cmp::Reverse(map.arcs[edges[i].2].count()));
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

/// Longest-path layering of the now acyclic graph; the end node goes below everything.
fn assign_layers(graph: &Graph) -> Vec<usize> {
    let n = graph.kinds.len();
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(f, t, _, _) in &graph.edges {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::ProcessStats;
    use crate::filter::simplify_paths;
    use crate::log::EventLogBuilder;

    fn map(cases: &[&[&str]]) -> ProcessMap {
        let mut b = EventLogBuilder::new();
        for (i, c) in cases.iter().enumerate() {
            b.start_case(i.to_string());
            for (t, a) in c.iter().enumerate() {
                b.push_event(a, Some(t as i64));
            }
        }
        simplify_paths(&ProcessStats::from_log(&b.build()), 100)
    }

    fn node<'a>(l: &'a MapLayout, m: &ProcessMap, name: &str) -> &'a PlacedNode {
        l.nodes
            .iter()
            .find(|n| matches!(n.kind, NodeKind::Activity(a) if m.activities[a].name == name))
            .unwrap()
    }

    #[test]
    fn flows_top_down_without_overlaps_even_with_loops() {
        let m = map(&[
            &["a", "b", "c", "d"],
            &["a", "c", "b", "d"],
            &["a", "b", "b", "c", "b", "c", "d"],
        ]);
        let l = layout(&m);
        assert_eq!(l.nodes.len(), 6);
        assert_eq!(l.edges.len(), m.arcs.len());
        let (a, d) = (node(&l, &m, "a"), node(&l, &m, "d"));
        assert!(a.y < d.y);
        let start = l.nodes.iter().find(|n| n.kind == NodeKind::Start).unwrap();
        let end = l.nodes.iter().find(|n| n.kind == NodeKind::End).unwrap();
        assert!(l.nodes.iter().all(|n| n.y >= start.y && n.y <= end.y));
        for (i, p) in l.nodes.iter().enumerate() {
            for q in &l.nodes[i + 1..] {
                let apart_x = (p.x - q.x).abs() >= (p.width + q.width) / 2.0;
                let apart_y = (p.y - q.y).abs() >= (p.height + q.height) / 2.0;
                assert!(apart_x || apart_y, "{:?} overlaps {:?}", p.kind, q.kind);
            }
        }
        assert!(l.edges.iter().any(|e| e.self_loop));
        assert!(l
            .nodes
            .iter()
            .all(|n| n.x - n.width / 2.0 >= 0.0 && n.x + n.width / 2.0 <= l.width));
    }

    #[test]
    fn an_empty_map_still_lays_out() {
        let l = layout(&map(&[]));
        assert_eq!(l.nodes.len(), 2);
        assert!(l.width > 0.0 && l.height > 0.0);
    }
}
