//! The process map's layered layout, top-down: its graph arranged in layers (see
//! [`super::arrange`]), then turned into boxes and routes.

use super::arrange::{arrange, Arrangement};
use crate::filter::{Arc, ProcessMap};
use std::collections::HashMap;

const NODE_HEIGHT: f64 = 46.0;
const LAYER_GAP: f64 = 96.0;
const MARGIN: f64 = 30.0;

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
    /// One edge per arc, in the arcs' order: (from, to, the arc's count).
    edges: Vec<(usize, usize, u64)>,
}

/// Lays out `map` top-down: start at the top, end at the bottom.
pub fn layout(map: &ProcessMap) -> MapLayout {
    let graph = build_graph(map);
    let n = graph.kinds.len();
    let Arrangement {
        layer_of,
        widths,
        places: xs,
        chains,
        self_loops,
    } = arrange(&graph.widths, &graph.edges);
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

    let at = |v: usize| (xs[v] + shift, y_of(v));
    let mut edges: Vec<PlacedEdge> = chains
        .into_iter()
        .map(|(arc, chain, upward)| PlacedEdge {
            arc,
            points: route(&nodes, &chain, upward, at),
            self_loop: false,
        })
        .collect();
    edges.extend(self_loops.into_iter().map(|(node, arc)| {
        let p = &nodes[node];
        let (right, y) = (p.x + p.width / 2.0, p.y);
        PlacedEdge {
            arc,
            points: vec![(right, y - 8.0), (right + 26.0, y), (right, y + 8.0)],
            self_loop: true,
        }
    }));
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

/// The route of an arc through `chain` (its nodes, upper layer first, at the points `at`
/// gives): from the bottom of one box to the top of the next, or for an arc running upward
/// from side to side, so that it hides no forward arc.
fn route(
    nodes: &[PlacedNode],
    chain: &[usize],
    upward: bool,
    at: impl Fn(usize) -> (f64, f64),
) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = chain.iter().map(|&v| at(v)).collect();
    let (first, last) = (chain[0], chain[chain.len() - 1]);
    let end = points.len() - 1;
    points[0].1 += nodes.get(first).map_or(0.0, |p| p.height / 2.0);
    points[end].1 -= nodes.get(last).map_or(0.0, |p| p.height / 2.0);
    if upward {
        points[0] = (nodes[first].x + nodes[first].width / 2.0, nodes[first].y);
        points[end] = (nodes[last].x + nodes[last].width / 2.0, nodes[last].y);
        points.reverse();
    }
    points
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
    let edges = raw
        .into_iter()
        .map(|(f, t, i)| (f.unwrap_or(0), t.unwrap_or(end), map.arcs[i].count()))
        .collect();
    Graph {
        kinds,
        widths,
        edges,
    }
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
