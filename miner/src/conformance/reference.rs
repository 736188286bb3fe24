//! A reference model for tracking live instances: each instance's events so far, aligned with
//! the model as a run that may not have finished, give its deviations and the tasks it now
//! waits at.

use super::align::{Aligner, DEFAULT_STATE_BUDGET};
use super::bpmn_read::{read_bpmn, BpmnGraph, NodeKind};
use super::fitness::{named_deviations, DeviationKind};
use super::petri::PetriNet;
use crate::MinerError;
use serde::Serialize;

/// A BPMN model read once, checked against many instances.
#[derive(Debug, Clone)]
pub struct ReferenceModel {
    graph: BpmnGraph,
    net: PetriNet,
}

/// Where one instance stands against the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceCheck {
    /// Deviations so far (none: the instance follows the model).
    pub deviations: Vec<(DeviationKind, String)>,
    /// For an unfinished instance, the tasks the model expects next.
    pub waiting_at: Vec<String>,
}

impl ReferenceModel {
    /// Reads a BPMN 2.0 document.
    pub fn read(text: &str) -> Result<Self, MinerError> {
        Self::read_mapped(text, &Default::default())
    }

    /// Reads a BPMN 2.0 file; an error names the file or the element and line.
    pub fn load(path: &std::path::Path) -> Result<Self, MinerError> {
        Self::read(&Self::text_of(path)?)
    }

    /// The text of the BPMN file at `path`, as [`ReferenceModel::load`] reads it.
    pub fn text_of(path: &std::path::Path) -> Result<String, MinerError> {
        std::fs::read_to_string(path).map_err(|source| MinerError::Io {
            what: path.display().to_string(),
            source,
        })
    }

    /// Reads a BPMN 2.0 document whose tasks are named otherwise than the activities they
    /// record: `activity_of` maps a task name to its activity (tasks it does not name keep
    /// their names). A task name it gives that no task has is an error listing the tasks.
    pub fn read_mapped(
        text: &str,
        activity_of: &std::collections::BTreeMap<String, String>,
    ) -> Result<Self, MinerError> {
        let mut graph = read_bpmn(text)?;
        let names: Vec<String> = graph.task_names().iter().map(|n| n.to_string()).collect();
        if let Some(stray) = activity_of.keys().find(|t| !names.contains(t)) {
            return Err(MinerError::Conformance(format!(
                "the task mapping names task {stray:?}, which the model does not have; its tasks: {}",
                names.join(", ")
            )));
        }
        for node in &mut graph.nodes {
            if let NodeKind::Task(Some(name)) = &mut node.kind {
                if let Some(activity) = activity_of.get(name.as_str()) {
                    *name = activity.clone();
                }
            }
        }
        let net = PetriNet::from_bpmn(&graph).reduced();
        Ok(Self { graph, net })
    }

    /// Each named task's id in the file and the activity it records, in document order.
    pub fn tasks(&self) -> Vec<(&str, &str)> {
        self.graph
            .nodes
            .iter()
            .filter_map(|node| match &node.kind {
                NodeKind::Task(Some(activity)) => Some((node.id.as_str(), activity.as_str())),
                _ => None,
            })
            .collect()
    }

    /// What the reader did not model as drawn.
    pub fn notes(&self) -> &[String] {
        &self.graph.notes
    }

    /// The model's task names.
    pub fn task_names(&self) -> Vec<&str> {
        self.graph.task_names()
    }

    /// Checks one instance's activities (in time order); `finished` says whether it has
    /// ended (then the model must have ended too). `None` when the search needed more than
    /// the default state budget.
    pub fn check(&self, activities: &[&str], finished: bool) -> Option<InstanceCheck> {
        self.check_all(&[(activities, finished)]).pop().flatten()
    }

    /// Checks several instances as [`ReferenceModel::check`] does one, with one search state
    /// shared between them (the markings met by one are known to the next).
    pub fn check_all(&self, instances: &[(&[&str], bool)]) -> Vec<Option<InstanceCheck>> {
        let tasks = self.task_names();
        // Every activity no task records gets the one number after the tasks': none can be
        // matched, and a deviation is named by its position in the trace.
        let number =
            |name: &str| Some(tasks.iter().position(|t| *t == name).unwrap_or(tasks.len()) as u32);
        let mut aligner = Aligner::new(&self.net, number, tasks.len() + 1);
        instances
            .iter()
            .map(|&(activities, finished)| {
                let trace: Vec<u32> = activities.iter().filter_map(|a| number(a)).collect();
                let alignment = if finished {
                    aligner.align(&trace, DEFAULT_STATE_BUDGET)?
                } else {
                    aligner.align_prefix(&trace, DEFAULT_STATE_BUDGET)?
                };
                let deviations =
                    named_deviations(&alignment, &trace, &mut aligner, &self.net, |pos| {
                        activities[pos].to_string()
                    });
                let waiting_at = if finished {
                    Vec::new()
                } else {
                    aligner
                        .next_tasks(&alignment)
                        .into_iter()
                        .filter_map(|t| self.net.transitions[t as usize].label.clone())
                        .collect()
                };
                Some(InstanceCheck {
                    deviations,
                    waiting_at,
                })
            })
            .collect()
    }
}
