//! A reference model for tracking live instances: each instance's events so far, aligned with
//! the model as a run that may not have finished, give its deviations and the tasks it now
//! waits at.

use super::align::{Aligner, DEFAULT_STATE_BUDGET};
use super::bpmn_read::{read_bpmn, BpmnGraph};
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
        let graph = read_bpmn(text)?;
        let net = PetriNet::from_bpmn(&graph).reduced();
        Ok(Self { graph, net })
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
        let mut names: Vec<&str> = self.task_names();
        for a in activities {
            if !names.contains(a) {
                names.push(a);
            }
        }
        let number = |name: &str| names.iter().position(|n| *n == name).map(|i| i as u32);
        let mut aligner = Aligner::new(&self.net, number, names.len());
        let trace: Vec<u32> = activities.iter().filter_map(|a| number(a)).collect();
        let alignment = if finished {
            aligner.align(&trace, DEFAULT_STATE_BUDGET)?
        } else {
            aligner.align_prefix(&trace, DEFAULT_STATE_BUDGET)?
        };
        let deviations = named_deviations(&alignment, &trace, &mut aligner, &self.net, |a| {
            names[a as usize].to_string()
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
    }
}
