//! BPMN 2.0 XML of a process tree, with diagram interchange (shapes and edges with
//! coordinates) so that modelers open it laid out: gateways for choices, parallelism and
//! loops; tasks for activities; silent steps become plain sequence flows.

use crate::discovery::inductive::ProcessTree;
use crate::formats::xml::escape_xml;
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

/// Layers left to right by longest path, ignoring the flows that close loops; rows by order
/// of discovery within a layer.
fn place(graph: &Graph) -> Vec<(f64, f64)> {
    let n = graph.nodes.len();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in &graph.flows {
        out[a].push(b);
    }
    // Depth-first from the start: a flow to a node still on the stack closes a loop.
    let mut back = vec![false; graph.flows.len()];
    let mut state = vec![0u8; n];
    let mut stack = vec![(0usize, 0usize)];
    state[0] = 1;
    while let Some(&mut (v, ref mut next)) = stack.last_mut() {
        let outgoing: Vec<usize> = (0..graph.flows.len())
            .filter(|&f| graph.flows[f].0 == v)
            .collect();
        if let Some(&f) = outgoing.get(*next) {
            *next += 1;
            let w = graph.flows[f].1;
            match state[w] {
                0 => {
                    state[w] = 1;
                    stack.push((w, 0));
                }
                1 => back[f] = true,
                _ => {}
            }
        } else {
            state[v] = 2;
            stack.pop();
        }
    }
    let mut layer = vec![0usize; n];
    for _ in 0..n {
        let mut changed = false;
        for (f, &(a, b)) in graph.flows.iter().enumerate() {
            if !back[f] && layer[b] < layer[a] + 1 {
                layer[b] = layer[a] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut rows: HashMap<usize, usize> = HashMap::new();
    (0..n)
        .map(|v| {
            let row = rows.entry(layer[v]).or_default();
            let at = (60.0 + layer[v] as f64 * 170.0, 80.0 + *row as f64 * 110.0);
            *row += 1;
            at
        })
        .collect()
}

/// The BPMN 2.0 XML document of `tree`, named `name`.
pub fn write_bpmn(tree: &ProcessTree, name: &str) -> String {
    let mut g = Graph::default();
    let start = g.add(Node::Start);
    let exit = g.build(tree, start);
    let end = g.add(Node::End);
    g.flow(exit, end);
    let centres = place(&g);

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
    x.push_str("  </process>\n  <bpmndi:BPMNDiagram id=\"diagram\">\n    <bpmndi:BPMNPlane id=\"plane\" bpmnElement=\"process\">\n");
    for (i, node) in g.nodes.iter().enumerate() {
        let (w, h) = node.size();
        let (cx, cy) = centres[i];
        let _ = writeln!(
            x,
            r#"      <bpmndi:BPMNShape id="n{i}_di" bpmnElement="n{i}"><dc:Bounds x="{:.0}" y="{:.0}" width="{w:.0}" height="{h:.0}"/></bpmndi:BPMNShape>"#,
            cx - w / 2.0,
            cy - h / 2.0
        );
    }
    for (f, &(a, b)) in g.flows.iter().enumerate() {
        let ((ax, ay), (bx, by)) = (centres[a], centres[b]);
        let (aw, ah) = g.nodes[a].size();
        let (bw, bh) = g.nodes[b].size();
        let points = if bx > ax {
            vec![
                (ax + aw / 2.0, ay),
                ((ax + aw / 2.0 + bx - bw / 2.0) / 2.0, ay),
                ((ax + aw / 2.0 + bx - bw / 2.0) / 2.0, by),
                (bx - bw / 2.0, by),
            ]
        } else {
            // A flow back to an earlier layer goes round below both.
            let below = ay.max(by) + ah.max(bh) / 2.0 + 30.0;
            vec![
                (ax, ay + ah / 2.0),
                (ax, below),
                (bx, below),
                (bx, by + bh / 2.0),
            ]
        };
        let _ = write!(
            x,
            r#"      <bpmndi:BPMNEdge id="f{f}_di" bpmnElement="f{f}">"#
        );
        for (px, py) in points {
            let _ = write!(x, r#"<di:waypoint x="{px:.0}" y="{py:.0}"/>"#);
        }
        x.push_str("</bpmndi:BPMNEdge>\n");
    }
    x.push_str("    </bpmndi:BPMNPlane>\n  </bpmndi:BPMNDiagram>\n</definitions>\n");
    x
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
}
