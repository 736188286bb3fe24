//! Tracking against the reference model of `[tracking] model`: where one instance stands (its
//! deviations so far, the tasks it waits at), for its page.

use collector::store::{InstanceDetail, InstanceStatus};
use collector::CollectorConfig;
use miner::conformance::{DeviationKind, ReferenceModel};

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

/// The instance `detail` against the configured model; `None` without one. The model file is
/// read for each page, so an edited model shows at once; a model that cannot be read says why.
pub fn instance_tracking(
    config: &CollectorConfig,
    detail: &InstanceDetail,
) -> Option<TrackingView> {
    let path = config.tracking.model.as_ref()?;
    let mut view = TrackingView {
        model: path.display().to_string(),
        verdict: String::new(),
        deviations: Vec::new(),
        waiting_at: Vec::new(),
    };
    let model = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|text| ReferenceModel::read(&text).map_err(|e| e.to_string()));
    let model = match model {
        Ok(model) => model,
        Err(e) => {
            view.verdict = format!("the model cannot be read: {e}");
            return Some(view);
        }
    };
    let activities: Vec<&str> = detail
        .events
        .iter()
        .filter(|e| !(e.span_id.is_some() && e.id.starts_with("span:")))
        .map(|e| e.activity.as_str())
        .collect();
    let finished = detail.summary.status == InstanceStatus::Completed;
    let Some(check) = model.check(&activities, finished) else {
        view.verdict = "not computed: the alignment needed more than its state budget".into();
        return Some(view);
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
    Some(view)
}
