//! Tracking against the reference model (the file of `[tracking] model`, else the one uploaded
//! into the store on the Model page): where one instance stands (its deviations so far, the
//! tasks it waits at), for its page.

use crate::WebError;
use collector::store::{InstanceDetail, InstancePage, InstanceQuery, InstanceStatus, Store};
use collector::CollectorConfig;
use miner::conformance::{DeviationKind, InstanceCheck, ReferenceModel};
use miner::discovery::ProcessStats;
use miner::log::Event;
use std::collections::{BTreeMap, BTreeSet};

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
                .filter(|e| !e.is_span())
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

/// Most instances a list of deviating instances checks: the latest that match its other
/// filters, so that the list costs the same whatever the history.
pub const DEVIATING_SCAN: u64 = 5_000;

/// Instances checked per search against the model while looking for deviating ones.
const DEVIATING_BATCH: u64 = 250;

/// A page of deviating instances, and how far the search looked.
pub struct DeviatingPage {
    /// The page; its total counts the deviating instances among those checked.
    pub page: InstancePage,
    /// How many instances were checked.
    pub checked: u64,
    /// Whether every instance the other filters select was checked.
    pub complete: bool,
}

/// The page `query` asks for of the instances it selects that deviate from the model in force,
/// among the latest [`DEVIATING_SCAN`] it selects. An error names what is missing when no model
/// is in force.
pub fn deviating_page(
    store: &dyn Store,
    config: &CollectorConfig,
    query: &InstanceQuery,
) -> Result<DeviatingPage, WebError> {
    let (path, model) = configured_model(config, store).ok_or_else(|| {
        WebError::BadRequest(
            "deviating: no reference model is in force ([tracking] model, or upload one on /model)"
                .into(),
        )
    })?;
    let mut found = DeviatingPage {
        page: InstancePage {
            total: 0,
            instances: Vec::new(),
        },
        checked: 0,
        complete: false,
    };
    while found.checked < DEVIATING_SCAN {
        let batch = store.instances(&InstanceQuery {
            offset: found.checked,
            limit: DEVIATING_BATCH.min(DEVIATING_SCAN - found.checked),
            ..query.clone()
        })?;
        let ids: Vec<_> = batch.instances.iter().map(|i| i.id).collect();
        let events = store.events_of(&ids)?;
        let asked: Vec<(&[Event], InstanceStatus)> = batch
            .instances
            .iter()
            .map(|i| (events.get(&i.id).map_or(&[][..], Vec::as_slice), i.status))
            .collect();
        let views = trackings(&path, &model, &asked);
        found.checked += batch.instances.len() as u64;
        for (instance, view) in batch.instances.into_iter().zip(views) {
            if view.deviations.is_empty() {
                continue;
            }
            if found.page.total >= query.offset && (found.page.instances.len() as u64) < query.limit
            {
                found.page.instances.push(instance);
            }
            found.page.total += 1;
        }
        if found.checked >= batch.total || ids.is_empty() {
            found.complete = true;
            break;
        }
    }
    Ok(found)
}

/// Most variants aligned for the deviation counts: the most frequent ones, so that the Model
/// page and `/metrics` cost the same whatever the history.
pub const ALIGNED_VARIANTS: usize = 200;

/// Instances deviating at each step of the model, over its most frequent variants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepDeviations {
    /// Instances deviating at each activity (skipped, or done where the model does not allow
    /// it), each counted once per activity.
    pub counts: BTreeMap<String, u64>,
    /// How many variants were aligned.
    pub variants: usize,
    /// The share of all instances they hold, in percent.
    pub covered: f64,
}

impl StepDeviations {
    /// Which instances the counts cover, in words.
    pub fn over(&self) -> String {
        format!(
            "the {} most frequent variants ({:.1} % of the instances)",
            self.variants, self.covered
        )
    }
}

/// The deviations at each step of `model` over the [`ALIGNED_VARIANTS`] most frequent
/// variants of `stats`: those ending at one of `ends` aligned as whole runs, the others as
/// runs so far.
pub fn deviations_by_step(
    model: &ReferenceModel,
    stats: &ProcessStats,
    ends: &[String],
) -> StepDeviations {
    let variants = &stats.variants[..stats.variants.len().min(ALIGNED_VARIANTS)];
    let named: Vec<Vec<&str>> = variants.iter().map(|v| stats.variant_names(v)).collect();
    let asked: Vec<(&[&str], bool)> = named
        .iter()
        .map(|v| {
            (
                v.as_slice(),
                v.last().is_some_and(|a| ends.iter().any(|e| e == a)),
            )
        })
        .collect();
    let mut found = StepDeviations {
        variants: variants.len(),
        ..StepDeviations::default()
    };
    let mut covered = 0;
    for (variant, check) in variants.iter().zip(model.check_all(&asked)) {
        let Some(check) = check else { continue };
        covered += variant.count;
        let at: BTreeSet<String> = check
            .deviations
            .into_iter()
            .filter(|(kind, _)| *kind != DeviationKind::NotInModel)
            .map(|(_, activity)| activity)
            .collect();
        for activity in at {
            *found.counts.entry(activity).or_default() += variant.count;
        }
    }
    found.covered = if stats.cases == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / stats.cases as f64
    };
    found
}

/// How long deviation counts serve `/metrics` before they are computed again.
const DEVIATIONS_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(60);

/// The deviations by step of the model in force over the store's variants, for `/metrics`:
/// computed at most once a minute (scrapes come every few seconds); none without a model.
pub fn current_deviations(
    store: &dyn Store,
    config: &CollectorConfig,
) -> Result<Option<StepDeviations>, WebError> {
    type Cached = Option<(std::time::Instant, String, StepDeviations)>;
    static CACHE: std::sync::Mutex<Cached> = std::sync::Mutex::new(None);
    let Some((name, Ok(model))) = configured_model(config, store) else {
        return Ok(None);
    };
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((at, cached_name, counts)) = cache.as_ref() {
        if *cached_name == name && at.elapsed() < DEVIATIONS_FRESH_FOR {
            return Ok(Some(counts.clone()));
        }
    }
    let stats = store.process_stats(&collector::store::StatsQuery::default())?;
    let counts = deviations_by_step(&model, &stats, &config.instances.end_activities);
    *cache = Some((std::time::Instant::now(), name, counts.clone()));
    Ok(Some(counts))
}
