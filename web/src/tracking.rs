//! Tracking against the reference model (the file of `[tracking] model`, else the one uploaded
//! into the store on the Model page): where one instance stands (its deviations so far, the
//! tasks it waits at), for its page.

use collector::store::{InstanceDetail, InstanceStatus, Store};
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

/// What the uploaded model is called on the pages.
pub const UPLOADED: &str = "the model uploaded on the Model page";

/// The reference model in force, read now (an edited or newly uploaded model shows at once):
/// the configured file, else the model uploaded into `store`; `None` without either, an error
/// saying why for one that cannot be read. With its name for the pages.
pub fn configured_model(
    config: &CollectorConfig,
    store: &dyn Store,
) -> Option<(String, Result<ReferenceModel, String>)> {
    if let (Some(path), Some(model)) = (&config.tracking.model, config.tracking.reference_model()) {
        return Some((path.display().to_string(), model.map_err(|e| e.to_string())));
    }
    let text = match store.saved_model() {
        Ok(text) => text?,
        Err(e) => return Some((UPLOADED.into(), Err(e.to_string()))),
    };
    let model =
        ReferenceModel::read_mapped(&text, &config.tracking.tasks).map_err(|e| e.to_string());
    Some((UPLOADED.into(), model))
}

/// The text of the model in force (see [`configured_model`]), for the pages' viewer.
pub fn model_text(config: &CollectorConfig, store: &dyn Store) -> Result<Option<String>, String> {
    match &config.tracking.model {
        Some(path) => ReferenceModel::text_of(path)
            .map(Some)
            .map_err(|e| e.to_string()),
        None => store.saved_model().map_err(|e| e.to_string()),
    }
}

/// The instance `detail` against the model in force; `None` without one.
pub fn instance_tracking(
    config: &CollectorConfig,
    store: &dyn Store,
    detail: &InstanceDetail,
) -> Option<TrackingView> {
    let (path, model) = configured_model(config, store)?;
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
