//! Tracking against the reference model of `[tracking] model`: where one instance stands (its
//! deviations so far, the tasks it waits at), for its page.

use collector::store::{InstanceDetail, InstanceStatus};
use collector::CollectorConfig;
use miner::conformance::{DeviationKind, InstanceCheck, ReferenceModel};
use miner::log::Event;

/// What an instance page shows of the reference model.
#[derive(Clone)]
pub struct TrackingView {
    /// The model file.
    pub model: String,
    /// The verdict in words.
    pub verdict: String,
    /// Each deviation in words.
    pub deviations: Vec<String>,
    /// The tasks a running instance waits at.
    pub waiting_at: Vec<String>,
    /// Each task of the model on the instance's path, by its id in the file: `done`,
    /// `waiting` (expected next) or `deviating` (skipped, or done out of the model's order),
    /// as JSON for the page's drawing of the model.
    pub path_json: String,
}

/// The configured model, read now (an edited model shows at once); `None` without one, an
/// error saying why for one that cannot be read.
pub fn configured_model(
    config: &CollectorConfig,
) -> Option<(String, Result<ReferenceModel, String>)> {
    let path = config.tracking.model.as_ref()?;
    let model = config
        .tracking
        .reference_model()?
        .map_err(|e| e.to_string());
    Some((path.display().to_string(), model))
}

/// The instance `detail` against the configured model; `None` without one.
pub fn instance_tracking(
    config: &CollectorConfig,
    detail: &InstanceDetail,
) -> Option<TrackingView> {
    let (path, model) = configured_model(config)?;
    let instance = [(detail.events.as_slice(), detail.summary.status)];
    trackings(&path, &model, &instance).pop()
}

/// Where each of `instances` (its events in time order, its status) stands against `model`
/// (read from `path`), in one search.
pub fn trackings(
    path: &str,
    model: &Result<ReferenceModel, String>,
    instances: &[(&[Event], InstanceStatus)],
) -> Vec<TrackingView> {
    let view = |verdict: String| TrackingView {
        model: path.to_string(),
        verdict,
        deviations: Vec::new(),
        waiting_at: Vec::new(),
        path_json: "{}".into(),
    };
    let model = match model {
        Ok(model) => model,
        Err(e) => return vec![view(format!("the model cannot be read: {e}")); instances.len()],
    };
    let activities: Vec<Vec<&str>> = instances
        .iter()
        .map(|(events, _)| {
            events
                .iter()
                .filter(|e| !(e.span_id.is_some() && e.id.starts_with("span:")))
                .map(|e| e.activity.as_str())
                .collect()
        })
        .collect();
    let asked: Vec<(&[&str], bool)> = activities
        .iter()
        .zip(instances)
        .map(|(a, (_, status))| (a.as_slice(), *status == InstanceStatus::Completed))
        .collect();
    model
        .check_all(&asked)
        .into_iter()
        .zip(&activities)
        .map(|(check, done)| {
            let Some(check) = check else {
                return view(
                    "not computed: the alignment needed more than its state budget".into(),
                );
            };
            let verdict = match check.deviations.len() {
                0 => "follows the model".into(),
                1 => "deviates from the model once".into(),
                n => format!("deviates from the model in {n} ways"),
            };
            TrackingView {
                path_json: path_json(model, &check, done),
                deviations: check
                    .deviations
                    .iter()
                    .map(|(kind, activity)| format!("{activity}: {}", kind.describe()))
                    .collect(),
                waiting_at: check.waiting_at,
                ..view(verdict)
            }
        })
        .collect()
}

/// Each task of `model` on an instance's path (`done`: its activities so far; `check`: its
/// alignment), by task id, as a JSON object: deviating before waiting before done.
fn path_json(model: &ReferenceModel, check: &InstanceCheck, done: &[&str]) -> String {
    let states: serde_json::Map<String, serde_json::Value> = model
        .tasks()
        .into_iter()
        .filter_map(|(id, activity)| {
            let deviating = check
                .deviations
                .iter()
                .any(|(kind, a)| a == activity && *kind != DeviationKind::NotInModel);
            let state = if deviating {
                "deviating"
            } else if check.waiting_at.iter().any(|a| a == activity) {
                "waiting"
            } else if done.contains(&activity) {
                "done"
            } else {
                return None;
            };
            Some((id.to_string(), state.into()))
        })
        .collect();
    serde_json::Value::Object(states).to_string()
}

impl TrackingView {
    /// The view in a few words, for a row of the instance list.
    pub fn cell(&self) -> String {
        match (self.deviations.is_empty(), self.waiting_at.is_empty()) {
            (true, true) => "follows".into(),
            (true, false) => format!("follows; waits at {}", self.waiting_at.join(", ")),
            (false, _) => self.deviations.join("; "),
        }
    }
}
