//! BPMN 2.0 XML of a process tree, with diagram interchange (shapes and edges with
//! coordinates) so that modelers open it laid out: gateways for choices, parallelism and
//! loops; tasks for activities; silent steps become plain sequence flows.

use crate::discovery::inductive::ProcessTree;
use crate::formats::xml::escape_xml;
use crate::layout::arrange::arrange;
use std::collections::HashMap;
use std::fmt::Write;

/// What a BPMN node is.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Start,
    End,
    Task(String),
    Exclusive,
    Parallel,
}

impl Node {
    fn size(&self) -> (f64, f64) {
        match self {
            Node::Start | Node::End => (36.0, 36.0),
            Node::Task(_) => (120.0, 60.0),
            Node::Exclusive | Node::Parallel => (50.0, 50.0),
        }
    }
}

/// The BPMN graph built from a tree.
#[derive(Debug, Default)]
struct Graph {
    nodes: Vec<Node>,
    flows: Vec<(usize, usize)>,
}

impl Graph {
    fn add(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn flow(&mut self, from: usize, to: usize) {
        self.flows.push((from, to));
    }

    /// Adds `tree` after node `from`; returns the node its flow leaves from.
    fn build(&mut self, tree: &ProcessTree, from: usize) -> usize {
        match tree {
            ProcessTree::Activity(name) => {
                let task = self.add(Node::Task(name.clone()));
                self.flow(from, task);
                task
            }
            ProcessTree::Tau => from,
            ProcessTree::Sequence(children) => {
                children.iter().fold(from, |at, c| self.build(c, at))
            }
            ProcessTree::Xor(children) | ProcessTree::Parallel(children) => {
                let kind = if matches!(tree, ProcessTree::Xor(_)) {
                    Node::Exclusive
                } else {
                    Node::Parallel
                };
                let split = self.add(kind.clone());
                self.flow(from, split);
                let join = self.add(kind);
                for c in children {
                    let exit = self.build(c, split);
                    self.flow(exit, join);
                }
                join
            }
            ProcessTree::Loop(children) => {
                let entry = self.add(Node::Exclusive);
                self.flow(from, entry);
                let body_exit = self.build(&children[0], entry);
                let decide = self.add(Node::Exclusive);
                self.flow(body_exit, decide);
                for redo in &children[1..] {
                    let back = self.build(redo, decide);
                    self.flow(back, entry);
                }
                decide
            }
        }
    }
}

/// Distance between the centres of two layers, left to right.
const LAYER_STEP: f64 = 170.0;
/// Space around the diagram.
const MARGIN: f64 = 60.0;

/// Where the diagram puts each node (its centre) and each flow (its waypoints).
struct Diagram {
    centres: Vec<(f64, f64)>,
    routes: Vec<Vec<(f64, f64)>>,
}

/// Arranges the graph in layers left to right, as the process map is arranged top-down (see
/// [`crate::layout::arrange`]): a flow that closes a loop runs back, below, through bends of
/// its own, and no two shapes of a layer overlap.
fn place(graph: &Graph) -> Diagram {
    let heights: Vec<f64> = graph.nodes.iter().map(|n| n.size().1).collect();
    let flows: Vec<(usize, usize, u64)> = graph.flows.iter().map(|&(a, b)| (a, b, 1)).collect();
    let arranged = arrange(&heights, &flows);
    let top = arranged
        .places
        .iter()
        .zip(&arranged.widths)
        .map(|(place, height)| place - height / 2.0)
        .fold(f64::INFINITY, f64::min);
    let top = if top.is_finite() { top } else { 0.0 };
    let at = |v: usize| {
        (
            MARGIN + arranged.layer_of[v] as f64 * LAYER_STEP,
            MARGIN + arranged.places[v] - top,
        )
    };
    let centres: Vec<(f64, f64)> = (0..graph.nodes.len()).map(at).collect();
    let mut routes = vec![Vec::new(); graph.flows.len()];
    for (flow, chain, upward) in &arranged.chains {
        let (a, b) = graph.flows[*flow];
        let mut points: Vec<(f64, f64)> = chain.iter().map(|&v| at(v)).collect();
        routes[*flow] = if *upward {
            points.reverse();
            back_flow(graph, (a, b), &points)
        } else {
            forward_flow(graph, (a, b), points)
        };
    }
    // Every flow of a process tree's graph leads to another node.
    debug_assert!(arranged.self_loops.is_empty());
    Diagram { centres, routes }
}

/// The waypoints of flow `(a, b)` through `centres` (its source's, its bends', its
/// target's), left to right: from the source's right side to the target's left side, turning
/// at right angles in the free space halfway between two layers.
fn forward_flow(
    graph: &Graph,
    (a, b): (usize, usize),
    centres: Vec<(f64, f64)>,
) -> Vec<(f64, f64)> {
    let mut route = vec![centres[0]];
    for pair in centres.windows(2) {
        let (p, q) = (pair[0], pair[1]);
        if (p.1 - q.1).abs() > 0.5 {
            let between = (p.0 + q.0) / 2.0;
            route.extend([(between, p.1), (between, q.1)]);
        }
        route.push(q);
    }
    let end = route.len() - 1;
    route[0].0 += graph.nodes[a].size().0 / 2.0;
    route[end].0 -= graph.nodes[b].size().0 / 2.0;
    route
}

/// Space between a shape and a flow running back past it.
const CLEARANCE: f64 = 15.0;

/// The waypoints of flow `(a, b)` back to an earlier layer through `centres` (its source's,
/// its bends', its target's, right to left): out of the source's bottom, through the free
/// space between layers and each bend's place in its layer, into the target's bottom. The
/// arrangement keeps those places and the space between layers clear of shapes.
fn back_flow(graph: &Graph, (a, b): (usize, usize), centres: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let ((ax, ay), (bx, by)) = (centres[0], centres[centres.len() - 1]);
    let (ah, bh) = (graph.nodes[a].size().1, graph.nodes[b].size().1);
    let under_source = ay + ah / 2.0 + CLEARANCE;
    let mut gap = ax - LAYER_STEP / 2.0;
    let mut route = vec![(ax, ay + ah / 2.0), (ax, under_source), (gap, under_source)];
    for &(x, y) in &centres[1..centres.len() - 1] {
        route.extend([(gap, y), (x - LAYER_STEP / 2.0, y)]);
        gap = x - LAYER_STEP / 2.0;
    }
    let under_target = by + bh / 2.0 + CLEARANCE;
    route.extend([(gap, under_target), (bx, under_target), (bx, by + bh / 2.0)]);
    route
}

/// The BPMN 2.0 XML document of `tree`, named `name`.
pub fn write_bpmn(tree: &ProcessTree, name: &str) -> String {
    let mut g = Graph::default();
    let start = g.add(Node::Start);
    let exit = g.build(tree, start);
    let end = g.add(Node::End);
    g.flow(exit, end);

    let mut incoming: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut outgoing: HashMap<usize, Vec<usize>> = HashMap::new();
    for (f, &(a, b)) in g.flows.iter().enumerate() {
        outgoing.entry(a).or_default().push(f);
        incoming.entry(b).or_default().push(f);
    }
    let mut x = String::new();
    x.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="definitions" targetNamespace="http://flowsight/bpmn" exporter="Flowsight" exporterVersion="1">
"#);
    let _ = writeln!(
        x,
        r#"  <process id="process" name="{}" isExecutable="false">"#,
        escape_xml(name)
    );
    for (i, node) in g.nodes.iter().enumerate() {
        let ins = incoming.get(&i).map_or(0, Vec::len);
        let outs = outgoing.get(&i).map_or(0, Vec::len);
        let direction = if outs > 1 {
            "Diverging"
        } else if ins > 1 {
            "Converging"
        } else {
            "Unspecified"
        };
        let (tag, extra) = match node {
            Node::Start => ("startEvent", String::new()),
            Node::End => ("endEvent", String::new()),
            Node::Task(n) => ("task", format!(r#" name="{}""#, escape_xml(n))),
            Node::Exclusive => (
                "exclusiveGateway",
                format!(r#" gatewayDirection="{direction}""#),
            ),
            Node::Parallel => (
                "parallelGateway",
                format!(r#" gatewayDirection="{direction}""#),
            ),
        };
        let _ = writeln!(x, r#"    <{tag} id="n{i}"{extra}>"#);
        for f in incoming.get(&i).into_iter().flatten() {
            let _ = writeln!(x, "      <incoming>f{f}</incoming>");
        }
        for f in outgoing.get(&i).into_iter().flatten() {
            let _ = writeln!(x, "      <outgoing>f{f}</outgoing>");
        }
        let _ = writeln!(x, "    </{tag}>");
    }
    for (f, (a, b)) in g.flows.iter().enumerate() {
        let _ = writeln!(
            x,
            r#"    <sequenceFlow id="f{f}" sourceRef="n{a}" targetRef="n{b}"/>"#
        );
    }
    x.push_str("  </process>\n");
    write_diagram(&mut x, &g, &place(&g));
    x.push_str("</definitions>\n");
    x
}

/// The diagram interchange of `g`: a shape per node, waypoints per flow, as `diagram` places
/// them.
fn write_diagram(x: &mut String, g: &Graph, diagram: &Diagram) {
    x.push_str("  <bpmndi:BPMNDiagram id=\"diagram\">\n    <bpmndi:BPMNPlane id=\"plane\" bpmnElement=\"process\">\n");
    for (i, node) in g.nodes.iter().enumerate() {
        let (w, h) = node.size();
        let (cx, cy) = diagram.centres[i];
        let _ = writeln!(
            x,
            r#"      <bpmndi:BPMNShape id="n{i}_di" bpmnElement="n{i}"><dc:Bounds x="{:.0}" y="{:.0}" width="{w:.0}" height="{h:.0}"/></bpmndi:BPMNShape>"#,
            cx - w / 2.0,
            cy - h / 2.0
        );
    }
    for (f, points) in diagram.routes.iter().enumerate() {
        let _ = write!(
            x,
            r#"      <bpmndi:BPMNEdge id="f{f}_di" bpmnElement="f{f}">"#
        );
        for (px, py) in points {
            let _ = write!(x, r#"<di:waypoint x="{px:.0}" y="{py:.0}"/>"#);
        }
        x.push_str("</bpmndi:BPMNEdge>\n");
    }
    x.push_str("    </bpmndi:BPMNPlane>\n  </bpmndi:BPMNDiagram>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::inductive::ProcessTree::*;

    #[test]
    fn gateways_tasks_flows_and_diagram_for_every_element() {
        let a = |n: &str| Activity(n.into());
        let tree = Sequence(vec![
            a("a"),
            Xor(vec![a("b & c"), Tau]),
            Parallel(vec![a("d"), a("e")]),
            Loop(vec![a("f"), a("g")]),
        ]);
        let xml = write_bpmn(&tree, "test");
        assert_eq!(xml.matches("<task ").count(), 6);
        assert!(xml.contains(r#"name="b &amp; c""#));
        assert_eq!(xml.matches("<exclusiveGateway").count(), 4);
        assert_eq!(xml.matches("<parallelGateway").count(), 2);
        assert_eq!(xml.matches("<startEvent").count(), 1);
        assert_eq!(xml.matches("<endEvent").count(), 1);
        let flows = xml.matches("<sequenceFlow").count();
        assert_eq!(xml.matches("<bpmndi:BPMNEdge").count(), flows);
        assert_eq!(xml.matches("<bpmndi:BPMNShape").count(), 6 + 6 + 2);
        let mut seen = 0;
        for line in xml.lines().filter(|l| l.contains("<dc:Bounds")) {
            seen += 1;
            assert!(!line.contains("NaN") && !line.contains("x=\"-"), "{line}");
        }
        assert_eq!(seen, 14);
    }

    #[test]
    fn no_two_shapes_overlap_and_flows_leave_and_enter_their_shapes() {
        let a = |n: &str| Activity(n.into());
        let tree = Sequence(vec![
            Parallel(vec![
                Xor(vec![a("a"), a("b"), Sequence(vec![a("c"), a("d")])]),
                Loop(vec![a("e"), Xor(vec![a("f"), a("g")])]),
                a("h"),
            ]),
            Loop(vec![Sequence(vec![a("i"), a("j")]), a("k")]),
        ]);
        let mut g = Graph::default();
        let start = g.add(Node::Start);
        let exit = g.build(&tree, start);
        let end = g.add(Node::End);
        g.flow(exit, end);
        let Diagram { centres, routes } = place(&g);
        let boxes: Vec<(f64, f64, f64, f64)> = g
            .nodes
            .iter()
            .zip(&centres)
            .map(|(n, &(x, y))| {
                let (w, h) = n.size();
                (x - w / 2.0, y - h / 2.0, x + w / 2.0, y + h / 2.0)
            })
            .collect();
        for (i, p) in boxes.iter().enumerate() {
            assert!(p.0 >= 0.0 && p.1 >= 0.0, "{:?} is off the page", g.nodes[i]);
            for (j, q) in boxes.iter().enumerate().skip(i + 1) {
                let apart = p.2 <= q.0 || q.2 <= p.0 || p.3 <= q.1 || q.3 <= p.1;
                assert!(apart, "{:?} overlaps {:?}", g.nodes[i], g.nodes[j]);
            }
        }
        let on_border = |b: (f64, f64, f64, f64), (x, y): (f64, f64)| {
            let within = |v: f64, lo: f64, hi: f64| v >= lo - 0.5 && v <= hi + 0.5;
            within(x, b.0, b.2)
                && within(y, b.1, b.3)
                && [b.0, b.2].iter().any(|e| (x - e).abs() < 0.5)
                    | [b.1, b.3].iter().any(|e| (y - e).abs() < 0.5)
        };
        for (f, &(from, to)) in g.flows.iter().enumerate() {
            let route = &routes[f];
            assert!(
                on_border(boxes[from], route[0]),
                "flow {f} leaves {:?}",
                g.nodes[from]
            );
            assert!(
                on_border(boxes[to], route[route.len() - 1]),
                "flow {f} enters {:?}",
                g.nodes[to]
            );
            for pair in route.windows(2) {
                let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
                let straight = (x1 - x2).abs() < 0.5 || (y1 - y2).abs() < 0.5;
                assert!(straight, "flow {f} bends at right angles: {route:?}");
                for (v, b) in boxes
                    .iter()
                    .enumerate()
                    .filter(|&(v, _)| v != from && v != to)
                {
                    let crosses = x1.min(x2) < b.2 - 0.5
                        && x1.max(x2) > b.0 + 0.5
                        && y1.min(y2) < b.3 - 0.5
                        && y1.max(y2) > b.1 + 0.5;
                    assert!(
                        !crosses,
                        "flow {f} runs through {:?} {b:?}: {route:?}",
                        g.nodes[v]
                    );
                }
            }
        }
    }
}
