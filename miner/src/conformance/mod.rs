//! Conformance checking: how well a log (or an instance) follows a reference model.
//!
//! A BPMN 2.0 model is read ([`read_bpmn`]) into the Petri net it behaves as, built as pm4py
//! builds it ([`PetriNet::from_bpmn`]), and each trace variant is aligned with it optimally
//! ([`Aligner`]: one deviation per event the model cannot do and per task it needs that did
//! not happen; silent steps free). [`check_log`] gives pm4py's fitness figures and names the
//! deviations.

mod align;
mod bpmn_read;
mod fitness;
mod petri;
mod reference;
#[cfg(test)]
mod tests;

pub use align::{Aligner, Alignment, Move, DEFAULT_STATE_BUDGET};
pub use bpmn_read::{read_bpmn, BpmnGraph, Node, NodeKind};
pub use fitness::{check_log, Conformance, Deviation, DeviationKind};
pub use petri::{PetriNet, Transition};
pub use reference::{InstanceCheck, ReferenceModel};
