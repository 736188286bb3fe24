//! The Petri net a BPMN model behaves as, built the way pm4py converts BPMN (so that
//! alignments against it mean what pm4py's mean): every node gets an entry and an exit place
//! and a transition (labelled with a task's name, silent otherwise); parallel and inclusive
//! gateways split and join with silent transitions; every other node with several flows
//! chooses one; an inclusive split may skip a branch to the nearest inclusive join.

use super::bpmn_read::{BpmnGraph, NodeKind};
use std::collections::{HashMap, VecDeque};

/// A transition: what it consumes and produces, and its label (`None`: silent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The activity it records, or `None` for a silent step.
    pub label: Option<String>,
    /// Places it takes a token from (each once).
    pub consumes: Vec<usize>,
    /// Places it puts a token on (each once).
    pub produces: Vec<usize>,
}

/// A Petri net with one initial and one final place (a workflow net).
#[derive(Debug, Clone, Default)]
pub struct PetriNet {
    /// Number of places.
    pub places: usize,
    /// The transitions.
    pub transitions: Vec<Transition>,
    /// The place holding the one initial token.
    pub source: usize,
    /// The place holding the one token of the final marking.
    pub sink: usize,
}

/// Builds the net places and transitions one by one.
struct Builder {
    net: PetriNet,
}

impl Builder {
    fn place(&mut self) -> usize {
        self.net.places += 1;
        self.net.places - 1
    }

    fn transition(&mut self, label: Option<String>, from: usize, to: usize) -> usize {
        self.net.transitions.push(Transition {
            label,
            consumes: vec![from],
            produces: vec![to],
        });
        self.net.transitions.len() - 1
    }
}

/// Where a flow leaves a node, or enters one: a place (then each flow gets its own silent
/// transition: a choice or a merge) or a transition (then it fires into or from every flow).
#[derive(Clone, Copy)]
enum Port {
    Place(usize),
    Transition(usize),
}

impl PetriNet {
    /// The net `graph` behaves as.
    pub fn from_bpmn(graph: &BpmnGraph) -> Self {
        let mut b = Builder {
            net: PetriNet::default(),
        };
        let (source, sink) = (b.place(), b.place());
        b.net.source = source;
        b.net.sink = sink;
        let flow_places: Vec<usize> = graph.flows.iter().map(|_| b.place()).collect();
        let mut outgoing = vec![0usize; graph.nodes.len()];
        let mut incoming = vec![0usize; graph.nodes.len()];
        for &(_, from, to) in &graph.flows {
            outgoing[from] += 1;
            incoming[to] += 1;
        }
        let mut exits = Vec::new();
        let mut entries = Vec::new();
        for (n, node) in graph.nodes.iter().enumerate() {
            let (entry, exit) = (b.place(), b.place());
            let label = match &node.kind {
                NodeKind::Task(name) => name.clone(),
                _ => None,
            };
            b.transition(label, entry, exit);
            let gateway = matches!(node.kind, NodeKind::Parallel | NodeKind::Inclusive);
            let exit_port = if gateway && outgoing[n] > 1 {
                let split = b.net.transitions.len();
                b.net.transitions.push(Transition {
                    label: None,
                    consumes: vec![exit],
                    produces: Vec::new(),
                });
                Port::Transition(split)
            } else {
                Port::Place(exit)
            };
            let entry_port = if gateway && incoming[n] > 1 {
                let join = b.net.transitions.len();
                b.net.transitions.push(Transition {
                    label: None,
                    consumes: Vec::new(),
                    produces: vec![entry],
                });
                Port::Transition(join)
            } else {
                Port::Place(entry)
            };
            match node.kind {
                NodeKind::Start => {
                    b.transition(None, source, entry);
                }
                NodeKind::End => {
                    b.transition(None, exit, sink);
                }
                _ => {}
            }
            exits.push(exit_port);
            entries.push(entry_port);
        }
        for (f, &(_, from, to)) in graph.flows.iter().enumerate() {
            let place = flow_places[f];
            match exits[from] {
                Port::Place(exit) => {
                    b.transition(None, exit, place);
                }
                Port::Transition(t) => b.net.transitions[t].produces.push(place),
            }
            match entries[to] {
                Port::Place(entry) => {
                    b.transition(None, place, entry);
                }
                Port::Transition(t) => b.net.transitions[t].consumes.push(place),
            }
        }
        b.inclusive_skips(graph, &flow_places, &outgoing, &incoming);
        b.net
    }
}

impl Builder {
    /// For every flow leaving an inclusive split, a silent transition to the nearest flow
    /// entering an inclusive join, so that the branch may be skipped.
    fn inclusive_skips(
        &mut self,
        graph: &BpmnGraph,
        flow_places: &[usize],
        outgoing: &[usize],
        incoming: &[usize],
    ) {
        let inclusive = |n: usize| graph.nodes[n].kind == NodeKind::Inclusive;
        let mut exits = Vec::new();
        let mut entries = Vec::new();
        for (f, &(_, from, to)) in graph.flows.iter().enumerate() {
            let exit = inclusive(from) && outgoing[from] > 1;
            let entry = inclusive(to) && incoming[to] > 1;
            if exit && !entry {
                exits.push(flow_places[f]);
            } else if entry && !exit {
                entries.push(flow_places[f]);
            }
        }
        if exits.is_empty() || entries.is_empty() {
            return;
        }
        let mut next: HashMap<usize, Vec<usize>> = HashMap::new();
        for t in &self.net.transitions {
            for &p in &t.consumes {
                next.entry(p)
                    .or_default()
                    .extend(t.produces.iter().copied());
            }
        }
        for exit in exits {
            if let Some(target) = nearest(exit, &entries, &next) {
                self.transition(None, exit, target);
            }
        }
    }
}

/// The place of `targets` fewest steps from `start` in the place graph.
fn nearest(start: usize, targets: &[usize], next: &HashMap<usize, Vec<usize>>) -> Option<usize> {
    let mut seen = vec![start];
    let mut queue = VecDeque::from([start]);
    while let Some(p) = queue.pop_front() {
        if p != start && targets.contains(&p) {
            return Some(p);
        }
        for &q in next.get(&p).into_iter().flatten() {
            if !seen.contains(&q) {
                seen.push(q);
                queue.push_back(q);
            }
        }
    }
    None
}

impl PetriNet {
    /// The same behaviour with fewer silent steps: a silent transition that is the only way
    /// out of its one input place, into one output place, is removed and the two places become
    /// one (a token there could only move on silently anyway). Alignments search fewer states.
    pub fn reduced(mut self) -> Self {
        loop {
            let consumers = |net: &PetriNet, p: usize| {
                net.transitions
                    .iter()
                    .filter(|t| t.consumes.contains(&p))
                    .count()
            };
            let fusable = self.transitions.iter().position(|t| {
                t.label.is_none()
                    && t.consumes.len() == 1
                    && t.produces.len() == 1
                    && t.consumes[0] != t.produces[0]
                    && t.consumes[0] != self.sink
                    && consumers(&self, t.consumes[0]) == 1
            });
            let Some(t) = fusable else {
                return self;
            };
            let removed = self.transitions.swap_remove(t);
            let (from, to) = (removed.consumes[0], removed.produces[0]);
            for transition in &mut self.transitions {
                for place in &mut transition.produces {
                    if *place == from {
                        *place = to;
                    }
                }
                transition.produces.sort_unstable();
                transition.produces.dedup();
            }
            if self.source == from {
                self.source = to;
            }
        }
    }
}
