//! Tracking against the reference model of `[tracking] model`: where one instance stands (its
//! deviations so far, the tasks it waits at), for its page.

use collector::store::{InstanceDetail, InstanceStatus};
use collector::CollectorConfig;
use miner::conformance::ReferenceModel;
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
        .map(|check| {
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
