//! Conformance of a whole log with a model: one optimal alignment per variant, the fitness
//! figures pm4py's `fitness_alignments` reports (same definitions), and the deviations named.

use super::align::{Aligner, Move};
use super::bpmn_read::BpmnGraph;
use super::petri::PetriNet;
use crate::log::EventLog;
use crate::MinerError;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What kind of deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviationKind {
    /// An activity no task of the model records.
    NotInModel,
    /// A task the model needed that did not happen.
    Skipped,
    /// An activity the model has, where the model does not allow it (wrong order or repeated).
    WrongOrder,
}

impl DeviationKind {
    /// What happened to an activity of this kind, in words (`skipped`).
    pub fn describe(self) -> &'static str {
        match self {
            Self::NotInModel => "not in the model",
            Self::Skipped => "skipped",
            Self::WrongOrder => "where the model does not allow it",
        }
    }
}

/// A deviation and how many traces show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deviation {
    /// What kind.
    pub kind: DeviationKind,
    /// The activity or task.
    pub activity: String,
    /// Traces showing it at least once.
    pub traces: usize,
}

/// The conformance of a log with a model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conformance {
    /// Traces checked.
    pub traces: usize,
    /// Traces the model fits without any deviation.
    pub fitting_traces: usize,
    /// The mean of the traces' fitness (1 − deviations / (trace length + the fewest tasks any
    /// run of the model takes)), over the traces whose alignment was computed.
    pub average_trace_fitness: f64,
    /// Fitting traces as a percentage of the traces whose alignment was computed.
    pub percentage_fitting_traces: f64,
    /// Distinct activity sequences aligned.
    pub variants: usize,
    /// Variants whose alignment needed more than the state budget: not computed, and left
    /// out of the figures above.
    pub not_computed_variants: usize,
    /// Traces of those variants.
    pub not_computed_traces: usize,
    /// Deviations, the most frequent first.
    pub deviations: Vec<Deviation>,
    /// Activities of the log no task records.
    pub activities_not_in_model: Vec<String>,
    /// Tasks of the model no event records.
    pub tasks_not_in_log: Vec<String>,
    /// What the model reader did not model as drawn.
    pub notes: Vec<String>,
}

/// Aligns every variant of `log` with `model`, each within `budget` states.
pub fn check_log(
    log: &EventLog,
    model: &BpmnGraph,
    budget: usize,
) -> Result<Conformance, MinerError> {
    let names = log.activities();
    let (activities_not_in_model, tasks_not_in_log) = unmatched(names.names(), model)?;
    let net = PetriNet::from_bpmn(model).reduced();
    let index: HashMap<&str, u32> = names
        .names()
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect();
    let mut aligner = Aligner::new(&net, |label| index.get(label).copied(), names.len());
    let shortest = aligner.align(&[], budget).ok_or_else(|| {
        MinerError::Conformance(
            "the model has no run from its start to its end (or more than the state budget): it cannot be checked against".into(),
        )
    })?;
    let mut variants: HashMap<&[u32], usize> = HashMap::new();
    for case in log.cases() {
        *variants.entry(case.activities).or_default() += 1;
    }
    let mut result = Conformance {
        traces: log.case_count(),
        fitting_traces: 0,
        average_trace_fitness: 0.0,
        percentage_fitting_traces: 0.0,
        variants: variants.len(),
        not_computed_variants: 0,
        not_computed_traces: 0,
        deviations: Vec::new(),
        activities_not_in_model,
        tasks_not_in_log,
        notes: model.notes.clone(),
    };
    let mut fitness_sum = 0.0;
    let mut deviations: BTreeMap<(DeviationKind, String), usize> = BTreeMap::new();
    let mut ordered: Vec<(&[u32], usize)> = variants.into_iter().collect();
    ordered.sort();
    for (trace, count) in ordered {
        let Some(alignment) = aligner.align(trace, budget) else {
            result.not_computed_variants += 1;
            result.not_computed_traces += count;
            continue;
        };
        let denominator = trace.len() as u32 + shortest.cost;
        let fitness = if denominator > 0 {
            1.0 - f64::from(alignment.cost) / f64::from(denominator)
        } else {
            0.0
        };
        fitness_sum += fitness * count as f64;
        if alignment.cost == 0 {
            result.fitting_traces += count;
        }
        let seen = named_deviations(&alignment, trace, &mut aligner, &net, |pos| {
            names.name(trace[pos]).to_string()
        });
        for deviation in seen {
            *deviations.entry(deviation).or_default() += count;
        }
    }
    let computed = result.traces - result.not_computed_traces;
    if computed > 0 {
        result.average_trace_fitness = fitness_sum / computed as f64;
        result.percentage_fitting_traces = 100.0 * result.fitting_traces as f64 / computed as f64;
    }
    result.deviations = most_frequent_first(deviations);
    Ok(result)
}

/// The activities of the log no task records and the tasks no activity records; an error
/// when no activity is a task (a model of another process, or another naming).
fn unmatched(
    activities: &[String],
    model: &BpmnGraph,
) -> Result<(Vec<String>, Vec<String>), MinerError> {
    let tasks = model.task_names();
    let activities_not_in_model: Vec<String> = activities
        .iter()
        .filter(|a| !tasks.contains(&a.as_str()))
        .cloned()
        .collect();
    let tasks_not_in_log: Vec<String> = tasks
        .iter()
        .filter(|t| !activities.iter().any(|a| a == *t))
        .map(|t| t.to_string())
        .collect();
    if !activities.is_empty() && activities_not_in_model.len() == activities.len() {
        return Err(MinerError::Conformance(format!(
            "no task of the model matches an activity of the log: the model's tasks are {}; the log's activities are {}",
            tasks.join(", "),
            activities.join(", ")
        )));
    }
    Ok((activities_not_in_model, tasks_not_in_log))
}

/// The deviations counted in traces, the most frequent first.
fn most_frequent_first(counted: BTreeMap<(DeviationKind, String), usize>) -> Vec<Deviation> {
    let mut deviations: Vec<Deviation> = counted
        .into_iter()
        .map(|((kind, activity), traces)| Deviation {
            kind,
            activity,
            traces,
        })
        .collect();
    deviations.sort_by(|a, b| b.traces.cmp(&a.traces).then(a.kind.cmp(&b.kind)));
    deviations
}

/// The distinct deviations of `alignment` of `trace`, named: an event the model cannot do
/// there (its activity not in the model, or in the wrong place; `name_at` names the event at a
/// position) or a task skipped.
pub(super) fn named_deviations(
    alignment: &super::Alignment,
    trace: &[u32],
    aligner: &mut Aligner<'_>,
    net: &PetriNet,
    name_at: impl Fn(usize) -> String,
) -> Vec<(DeviationKind, String)> {
    let mut seen: Vec<(DeviationKind, String)> = Vec::new();
    for mv in &alignment.moves {
        let deviation = match *mv {
            Move::Log(pos) => {
                let activity = trace[pos as usize];
                let kind = if aligner.models(activity) {
                    DeviationKind::WrongOrder
                } else {
                    DeviationKind::NotInModel
                };
                (kind, name_at(pos as usize))
            }
            Move::Model(t) => {
                let label = net.transitions[t as usize]
                    .label
                    .clone()
                    .unwrap_or_default();
                (DeviationKind::Skipped, label)
            }
            Move::Sync(_) | Move::Silent(_) => continue,
        };
        if !seen.contains(&deviation) {
            seen.push(deviation);
        }
    }
    seen
}
