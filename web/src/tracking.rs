//! Tracking against the reference model of `[tracking] model`: where one instance stands (its
//! deviations so far, the tasks it waits at), for its page.

use collector::store::{InstanceDetail, InstanceStatus};
use collector::CollectorConfig;
use miner::conformance::{DeviationKind, ReferenceModel};
use miner::log::Event;

/// What an instance page shows of the reference model.
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
    let model = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|text| ReferenceModel::read(&text).map_err(|e| e.to_string()));
    Some((path.display().to_string(), model))
}

/// The instance `detail` against the configured model; `None` without one.
pub fn instance_tracking(
    config: &CollectorConfig,
    detail: &InstanceDetail,
) -> Option<TrackingView> {
    let (path, model) = configured_model(config)?;
    Some(match model {
        Ok(model) => tracking_of(&model, path, &detail.events, detail.summary.status),
        Err(e) => TrackingView {
            model: path,
            verdict: format!("the model cannot be read: {e}"),
            deviations: Vec::new(),
            waiting_at: Vec::new(),
        },
    })
}

/// Where an instance with `events` (in time order) and `status` stands against `model`.
pub fn tracking_of(
    model: &ReferenceModel,
    path: String,
    events: &[Event],
    status: InstanceStatus,
) -> TrackingView {
    let mut view = TrackingView {
        model: path,
        verdict: String::new(),
        deviations: Vec::new(),
        waiting_at: Vec::new(),
    };
    let activities: Vec<&str> = events
        .iter()
        .filter(|e| !(e.span_id.is_some() && e.id.starts_with("span:")))
        .map(|e| e.activity.as_str())
        .collect();
    let finished = status == InstanceStatus::Completed;
    let Some(check) = model.check(&activities, finished) else {
        view.verdict = "not computed: the alignment needed more than its state budget".into();
        return view;
    };
    view.verdict = match check.deviations.len() {
        0 => "follows the model".into(),
        1 => "deviates from the model once".into(),
        n => format!("deviates from the model in {n} ways"),
    };
    view.deviations = check
        .deviations
        .iter()
        .map(|(kind, activity)| match kind {
            DeviationKind::NotInModel => format!("{activity}: not in the model"),
            DeviationKind::Skipped => format!("{activity}: skipped"),
            DeviationKind::WrongOrder => format!("{activity}: where the model does not allow it"),
        })
        .collect();
    view.waiting_at = check.waiting_at;
    view
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
