//! The Model page: the reference model (the file of `[tracking] model`, else one uploaded here
//! and kept in the store) drawn as its modeler laid it out (bpmn-js, vendored), each task
//! overlaid with the instances waiting after it now, those past its limit, the deviations at
//! it, and its frequency and time to the next step, shaded by time like Camunda Cockpit's
//! heatmap. `GET /api/model` gives the same figures as JSON; `POST /model` uploads a model.

use super::{blocking, page};
use crate::views::Header;
use crate::waits::clock_note;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use collector::store::{StatsQuery, Store, StoreOverview};
use collector::CollectorConfig;
use miner::conformance::ReferenceModel;
use miner::discovery::ProcessStats;
use miner::time::format_duration;
use serde::Serialize;

/// Largest model accepted by an upload.
const MAX_MODEL_BYTES: usize = 8 << 20;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/model", get(model_page).post(upload))
        .layer(DefaultBodyLimit::max(MAX_MODEL_BYTES))
        .route("/api/model", get(model_json))
        .route("/model.bpmn", get(model_file))
}

/// One task of the model and the figures drawn on it.
#[derive(Debug, Clone, Serialize)]
pub struct TaskFigures {
    /// The task's id in the BPMN file.
    pub id: String,
    /// The activity it records.
    pub activity: String,
    /// Unfinished instances whose last step it is.
    pub waiting: u64,
    /// Of them, those past the step's limit.
    pub breaching: u64,
    /// The step's limit, in words.
    pub limit: String,
    /// Instances whose alignment deviates at this task (it was skipped, or happened where the
    /// model does not allow it), among the aligned variants.
    pub deviations: u64,
    /// Its events.
    pub events: u64,
    /// Instances containing it.
    pub cases: u64,
    /// Mean time from it to the next step, in words.
    pub mean_to_next: String,
    /// 95th percentile of that time, in words.
    pub p95_to_next: String,
    /// Its shade, 0 (quick) to 4 (the slowest fifth of the tasks by p95 time to the next step).
    pub heat: u8,
}

/// The model with every task's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ModelFigures {
    /// The model file.
    pub model: String,
    /// Each named task.
    pub tasks: Vec<TaskFigures>,
    /// Tasks whose activity never happened.
    pub unmatched_tasks: Vec<String>,
    /// Activities no task records, with their events.
    pub unmodelled_activities: Vec<(String, u64)>,
    /// Which instances the deviation counts cover.
    pub deviations_over: String,
    /// What waits are measured against.
    pub clock: String,
    /// What the reader did not model as drawn.
    pub notes: Vec<String>,
}

/// The figures of `model` (read from `path`) from the store's statistics and standings.
fn figures(
    path: &str,
    model: &ReferenceModel,
    stats: &ProcessStats,
    overview: &StoreOverview,
    config: &CollectorConfig,
) -> ModelFigures {
    let tasks = model.tasks();
    let deviations =
        crate::tracking::deviations_by_step(model, stats, &config.instances.end_activities);
    let p95 = |activity: &str| {
        stats
            .index_of(activity)
            .map_or(0, |i| stats.activities[i].time_to_next.p95)
    };
    let mut by_p95: Vec<i64> = tasks.iter().map(|(_, a)| p95(a)).collect();
    by_p95.sort_unstable();
    let heat = |value: i64| -> u8 {
        let below = by_p95.partition_point(|&v| v < value);
        ((below * 5) / by_p95.len().max(1)).min(4) as u8
    };
    let figures = tasks
        .iter()
        .map(|(id, activity)| {
            let standing = overview.steps.iter().find(|s| s.step == *activity);
            let stats_of = stats.index_of(activity).map(|i| &stats.activities[i]);
            TaskFigures {
                id: id.to_string(),
                activity: activity.to_string(),
                waiting: standing.map_or(0, |s| s.waiting),
                breaching: standing.map_or(0, |s| s.stuck),
                limit: standing.map_or_else(String::new, |s| format_duration(s.limit.within)),
                deviations: deviations.counts.get(*activity).copied().unwrap_or(0),
                events: stats_of.map_or(0, |a| a.count),
                cases: stats_of.map_or(0, |a| a.cases),
                mean_to_next: stats_of
                    .filter(|a| a.time_to_next.count > 0)
                    .map_or_else(String::new, |a| format_duration(a.time_to_next.mean)),
                p95_to_next: stats_of
                    .filter(|a| a.time_to_next.count > 0)
                    .map_or_else(String::new, |a| format_duration(a.time_to_next.p95)),
                heat: heat(p95(activity)),
            }
        })
        .collect::<Vec<_>>();
    let modelled: Vec<&str> = tasks.iter().map(|(_, a)| *a).collect();
    ModelFigures {
        model: path.to_string(),
        unmatched_tasks: figures
            .iter()
            .filter(|t| t.events == 0)
            .map(|t| t.activity.clone())
            .collect(),
        unmodelled_activities: stats
            .activities
            .iter()
            .filter(|a| !modelled.contains(&a.name.as_str()))
            .map(|a| (a.name.clone(), a.count))
            .collect(),
        tasks: figures,
        deviations_over: deviations.over(),
        clock: clock_note(&overview.clock),
        notes: model.notes().to_vec(),
    }
}

/// The figures of the configured model, or why there are none.
fn configured_figures(
    store: &dyn Store,
    config: &CollectorConfig,
) -> Result<Result<ModelFigures, String>, WebError> {
    let Some((path, model)) = crate::tracking::configured_model(config, store) else {
        return Ok(Err(
            "No reference model yet: upload one below, or add [tracking] model = \"FILE.bpmn\" to the configuration (a BPMN 2.0 file as drawn in Camunda Modeler or bpmn.io, or /export/model.bpmn)."
                .into(),
        ));
    };
    let model = match model {
        Ok(model) => model,
        Err(e) => return Ok(Err(format!("The model {path} cannot be read: {e}"))),
    };
    let stats = store.process_stats(&StatsQuery::default())?;
    let overview = store.overview()?;
    Ok(Ok(figures(&path, &model, &stats, &overview, config)))
}

#[derive(Template)]
#[template(path = "model.html")]
struct ModelPage {
    header: Header,
    figures: Result<ModelFigures, String>,
    /// Whether a model may be uploaded (no model file is configured, which would win).
    uploads: bool,
    /// What the last upload did, if this page answers one.
    message: Option<String>,
}

async fn render(state: &AppState, message: Option<String>) -> Result<Html<String>, WebError> {
    let config = state.config.clone();
    let (figures, overview) = blocking(state, move |s| {
        Ok((configured_figures(s, &config)?, s.overview()?))
    })
    .await?;
    page(ModelPage {
        header: Header::new("model", &overview),
        figures,
        uploads: state.config.tracking.model.is_none(),
        message,
    })
}

async fn model_page(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    render(&state, None).await
}

/// Keeps an uploaded BPMN model in the store, once it reads, as the reference model of every
/// reader of the store; refused while the configuration names a model file (which wins).
async fn upload(
    State(state): State<AppState>,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    if let Some(path) = &state.config.tracking.model {
        return Err(WebError::BadRequest(format!(
            "the configuration's [tracking] model {} is in force: change that file, or remove the setting to track against uploaded models",
            path.display()
        )));
    }
    let bad = |e: String| WebError::BadRequest(format!("upload: {e}"));
    let mut text = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(e.to_string()))?
    {
        if field.name() == Some("file") {
            let bytes = field.bytes().await.map_err(|e| bad(e.to_string()))?;
            text =
                Some(String::from_utf8(bytes.to_vec()).map_err(|_| {
                    bad("the model is not UTF-8 text (a BPMN 2.0 XML file)".into())
                })?);
        }
    }
    let text = text.ok_or_else(|| bad("no model file was uploaded".into()))?;
    let tasks = match ReferenceModel::read_mapped(&text, &state.config.tracking.tasks) {
        Ok(model) => model.tasks().len(),
        Err(e) => {
            let page = render(&state, Some(format!("The model was not kept: {e}"))).await?;
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    blocking(&state, move |s| Ok(s.save_model(&text)?)).await?;
    let message = format!("The model is kept with the store and tracked against: {tasks} tasks.");
    Ok(render(&state, Some(message)).await?.into_response())
}

async fn model_json(State(state): State<AppState>) -> Result<Json<ModelFigures>, WebError> {
    let config = state.config.clone();
    let figures = blocking(&state, move |s| configured_figures(s, &config)).await?;
    figures.map(Json).map_err(WebError::NotFound)
}

/// The model in force, as the pages' viewer draws it.
async fn model_file(State(state): State<AppState>) -> Result<impl IntoResponse, WebError> {
    let config = state.config.clone();
    let text = blocking(&state, move |s| {
        crate::tracking::model_text(&config, s).map_err(WebError::NotFound)
    })
    .await?
    .ok_or_else(|| {
        WebError::NotFound(
            "no reference model: configure [tracking] model or upload one on /model".into(),
        )
    })?;
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        text,
    ))
}
