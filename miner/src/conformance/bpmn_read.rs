//! Reading a BPMN 2.0 model (as drawn in Camunda Modeler or bpmn.io, or exported by Flowsight)
//! into the control-flow graph conformance checking needs: tasks, events, gateways and
//! sequence flows. Subprocesses are flattened. Elements the check cannot model are reported
//! by id and name, never silently ignored.

use crate::MinerError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::HashMap;

/// What a node of the flow does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A task of any kind; an unnamed task is a silent step.
    Task(Option<String>),
    /// A none start event (where a case begins).
    Start,
    /// An end event (where a case ends).
    End,
    /// An exclusive (or event-based) gateway: one path.
    Exclusive,
    /// A parallel gateway: all paths.
    Parallel,
    /// An inclusive gateway: one or more paths.
    Inclusive,
}

/// A flow node.
#[derive(Debug, Clone)]
pub struct Node {
    /// Its id in the file.
    pub id: String,
    /// What it does.
    pub kind: NodeKind,
}

/// A BPMN process as a graph of nodes and sequence flows.
#[derive(Debug, Clone, Default)]
pub struct BpmnGraph {
    /// Flow nodes, in document order.
    pub nodes: Vec<Node>,
    /// Sequence flows: (id, source node index, target node index).
    pub flows: Vec<(String, usize, usize)>,
    /// What the reader did not model as drawn, each naming the element (boundary events,
    /// unnamed tasks read as silent steps, intermediate events read as silent steps).
    pub notes: Vec<String>,
}

impl BpmnGraph {
    /// The names of the model's tasks, each once, in document order.
    pub fn task_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for node in &self.nodes {
            if let NodeKind::Task(Some(name)) = &node.kind {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        names
    }
}

/// Task elements, all read as tasks.
const TASKS: [&str; 9] = [
    "task",
    "userTask",
    "serviceTask",
    "manualTask",
    "scriptTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "callActivity",
];
/// Elements that say nothing about the order of steps.
const NOT_FLOW: [&str; 22] = [
    "definitions",
    "process",
    "collaboration",
    "participant",
    "messageFlow",
    "laneSet",
    "lane",
    "flowNodeRef",
    "childLaneSet",
    "documentation",
    "extensionElements",
    "incoming",
    "outgoing",
    "conditionExpression",
    "textAnnotation",
    "text",
    "association",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
    "dataInputAssociation",
    "dataOutputAssociation",
];

/// A node as read, before subprocesses are flattened.
struct RawNode {
    id: String,
    kind: NodeKind,
    /// The subprocess it is in.
    parent: Option<String>,
    line: usize,
}

/// The model as read, before subprocesses are flattened.
#[derive(Default)]
struct Raw {
    nodes: Vec<RawNode>,
    flows: Vec<(String, String, String, usize)>,
    notes: Vec<String>,
    /// Open subprocesses: their ids.
    open: Vec<String>,
}

/// Reads a BPMN 2.0 document. Malformed XML, an element the check cannot model (a complex
/// gateway, a subprocess with several start events) or a flow naming an unknown node is an
/// error naming the element and its line.
pub fn read_bpmn(text: &str) -> Result<BpmnGraph, MinerError> {
    let mut reader = Reader::from_str(text);
    let mut raw = Raw::default();
    let mut depth_stack: Vec<bool> = Vec::new();
    let mut lines = Lines::new(text);
    loop {
        let line = lines.at(reader.buffer_position() as usize);
        match reader.read_event() {
            Err(e) => return Err(bpmn_error(line, e.to_string())),
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                let subprocess = start_element(&mut raw, &e, line)?;
                depth_stack.push(subprocess);
            }
            Ok(Event::Empty(e)) => {
                if start_element(&mut raw, &e, line)? {
                    raw.open.pop();
                }
            }
            Ok(Event::End(_)) => {
                if depth_stack.pop() == Some(true) {
                    raw.open.pop();
                }
            }
            Ok(_) => {}
        }
    }
    flatten(raw)
}

/// An opening element's name and the attributes the reader looks at.
struct Element {
    name: String,
    id: String,
    label: Option<String>,
    line: usize,
    attribute: HashMap<String, String>,
}

impl Element {
    fn read(e: &BytesStart<'_>, line: usize) -> Self {
        // The first of two attributes with one local name (in two namespaces) counts.
        let mut attribute: HashMap<String, String> = HashMap::new();
        for a in e.attributes().flatten() {
            if let Ok(value) = a.unescape_value() {
                let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
                attribute.entry(key).or_insert_with(|| value.into_owned());
            }
        }
        Self {
            name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
            id: attribute.get("id").cloned().unwrap_or_default(),
            label: attribute
                .get("name")
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty()),
            line,
            attribute,
        }
    }

    /// The element as messages name it.
    fn described(&self) -> String {
        let (name, id, line) = (&self.name, &self.id, self.line);
        match &self.label {
            Some(l) => format!("{name} {id} ({l:?}, line {line})"),
            None => format!("{name} {id} (line {line})"),
        }
    }

    /// The kind of node a task, event or gateway is read as (noting where it is read as
    /// something else); none for any other element.
    fn node_kind(&self, notes: &mut Vec<String>) -> Option<NodeKind> {
        Some(match self.name.as_str() {
            n if TASKS.contains(&n) => {
                if self.label.is_none() {
                    notes.push(format!(
                        "{} has no name: read as a silent step",
                        self.described()
                    ));
                }
                NodeKind::Task(self.label.clone())
            }
            "startEvent" => NodeKind::Start,
            "endEvent" => NodeKind::End,
            "exclusiveGateway" => NodeKind::Exclusive,
            "eventBasedGateway" => {
                notes.push(format!(
                    "{}: read as an exclusive gateway",
                    self.described()
                ));
                NodeKind::Exclusive
            }
            "parallelGateway" => NodeKind::Parallel,
            "inclusiveGateway" => NodeKind::Inclusive,
            "intermediateCatchEvent" | "intermediateThrowEvent" => {
                notes.push(format!("{}: read as a silent step", self.described()));
                NodeKind::Task(None)
            }
            _ => return None,
        })
    }
}

/// Handles one opening element; returns whether it opened a subprocess.
fn start_element(raw: &mut Raw, e: &BytesStart<'_>, line: usize) -> Result<bool, MinerError> {
    let element = Element::read(e, line);
    let parent = raw.open.last().cloned();
    if let Some(kind) = element.node_kind(&mut raw.notes) {
        raw.nodes.push(RawNode {
            id: element.id,
            kind,
            parent,
            line,
        });
        return Ok(false);
    }
    let attribute = |key: &str| element.attribute.get(key).cloned();
    match element.name.as_str() {
        "boundaryEvent" => {
            let host = attribute("attachedToRef").unwrap_or_default();
            raw.notes.push(format!(
                "{} on {host} is not modelled: the paths leaving it are not part of the check",
                element.described()
            ));
        }
        "subProcess" | "transaction" | "adHocSubProcess" => {
            raw.open.push(element.id.clone());
            raw.nodes.push(RawNode {
                id: element.id,
                kind: NodeKind::Task(None),
                parent,
                line,
            });
            return Ok(true);
        }
        "sequenceFlow" => {
            let (source, target) = (attribute("sourceRef"), attribute("targetRef"));
            let (Some(source), Some(target)) = (source, target) else {
                return Err(bpmn_error(
                    line,
                    format!("sequenceFlow {} lacks sourceRef or targetRef", element.id),
                ));
            };
            raw.flows.push((element.id, source, target, line));
        }
        "complexGateway" => {
            return Err(bpmn_error(
                line,
                format!(
                    "{} is not supported: the check cannot tell which paths it takes",
                    element.described()
                ),
            ))
        }
        n if NOT_FLOW.contains(&n) || !is_flow_element(n) => {}
        _ => raw
            .notes
            .push(format!("{} is not modelled", element.described())),
    }
    Ok(false)
}

/// Whether an element name is a kind of flow node (an event, task or gateway).
fn is_flow_element(name: &str) -> bool {
    ["Event", "Task", "Gateway", "Activity"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// Resolves flows to node indexes, flattening subprocesses: a flow into a subprocess goes to
/// its start event, a flow out of it leaves from its end event; those events become silent
/// steps.
fn flatten(raw: Raw) -> Result<BpmnGraph, MinerError> {
    let mut graph = BpmnGraph {
        notes: raw.notes,
        ..BpmnGraph::default()
    };
    let parents: Vec<&str> = raw
        .nodes
        .iter()
        .filter_map(|n| n.parent.as_deref())
        .collect();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut entry: HashMap<String, String> = HashMap::new();
    let mut exit: HashMap<String, String> = HashMap::new();
    for node in &raw.nodes {
        let mut kind = node.kind.clone();
        if let Some(parent) = &node.parent {
            let ends = match kind {
                NodeKind::Start => Some((&mut entry, "start")),
                NodeKind::End => Some((&mut exit, "end")),
                _ => None,
            };
            if let Some((ends, what)) = ends {
                if let Some(other) = ends.insert(parent.clone(), node.id.clone()) {
                    return Err(bpmn_error(
                        node.line,
                        format!(
                            "subProcess {parent} has two {what} events ({other}, {}): only one of each is supported",
                            node.id
                        ),
                    ));
                }
                kind = NodeKind::Task(None);
            }
        }
        index.insert(node.id.clone(), graph.nodes.len());
        graph.nodes.push(Node {
            id: node.id.clone(),
            kind,
        });
    }
    let subprocesses: Vec<&str> = parents;
    for (id, source, target, line) in raw.flows {
        let source = if subprocesses.contains(&source.as_str()) {
            exit.get(&source).cloned().unwrap_or(source)
        } else {
            source
        };
        let target = if subprocesses.contains(&target.as_str()) {
            entry.get(&target).cloned().unwrap_or(target)
        } else {
            target
        };
        let find = |node: &str| {
            index.get(node).copied().ok_or_else(|| {
                bpmn_error(
                    line,
                    format!("sequenceFlow {id} names {node:?}, which is no flow node of the model"),
                )
            })
        };
        graph
            .flows
            .push((id.clone(), find(&source)?, find(&target)?));
    }
    Ok(graph)
}

/// The line of a position in a text, counted on from the previous position asked (the reader
/// only moves forward), so a whole document is scanned once.
struct Lines<'t> {
    text: &'t [u8],
    position: usize,
    line: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text: text.as_bytes(),
            position: 0,
            line: 1,
        }
    }

    /// The 1-based line of `position`, at or after every position asked before.
    fn at(&mut self, position: usize) -> usize {
        let position = position.min(self.text.len());
        self.line += memchr::memchr_iter(b'\n', &self.text[self.position..position]).count();
        self.position = position;
        self.line
    }
}

fn bpmn_error(line: usize, message: String) -> MinerError {
    MinerError::Bpmn { line, message }
}
