//! The instance list (search by business key, status filter, where instances wait, paging),
//! one instance with its timeline and wait, and the uncorrelated events.

use super::{blocking, encode_query, page, percent_encode};
use crate::filter_bar::{optional_number, suggestions, FilterBar, FilterParams};
use crate::query::Query;
use crate::reports::Selection;
use crate::timeline::{steps_gantt_svg, timeline_svg, TimeScale};
use crate::views::{event_rows, EventRow, Header, InstanceRow};
use crate::waits::{clock_note, StepRow, WaitView};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use collector::outcome::outcome_of;
use collector::store::InstanceOrder;
use miner::time::format_duration;
use serde::Deserialize;

/// Instances per page.
const PAGE_SIZE: u64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/instances", get(list))
        .route("/instances/{id}", get(detail))
        .route("/api/instances", get(list_json))
        .route("/api/instances/{id}", get(detail_json))
        .route("/uncorrelated", get(uncorrelated))
        .route("/search", get(search))
}

/// Query parameters of the instance list (and its exports).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListParams {
    /// Business key value or `kind=value`.
    pub q: Option<String>,
    /// The filter bar's conditions (and a drill-down's: an activity, a path, a variant).
    #[serde(flatten)]
    pub filters: FilterParams,
    /// Only unfinished instances standing at this step (their last activity).
    pub at: Option<String>,
    /// `latest` (latest activity first, the default) or `waiting` (longest waiting first).
    pub sort: Option<String>,
    /// `1`: only instances deviating from the reference model (among the latest checked).
    pub deviating: Option<String>,
    /// 0-based page.
    #[serde(deserialize_with = "optional_number")]
    pub page: Option<u64>,
}

impl ListParams {
    /// Whether only deviating instances are asked for.
    pub fn deviating(&self) -> bool {
        matches!(self.deviating.as_deref(), Some("1" | "true" | "on" | "yes"))
    }

    /// The order asked for, checked.
    pub fn order(&self) -> Result<InstanceOrder, WebError> {
        match self.sort.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(InstanceOrder::default()),
            Some(s) => InstanceOrder::parse(s).ok_or_else(|| {
                WebError::BadRequest(format!(
                    "sort: {s:?} is not latest (latest activity first) or waiting (longest waiting first)"
                ))
            }),
        }
    }

    /// The instances selected: search, the filter bar and where they stand, checked.
    pub fn selection(&self) -> Result<Selection, WebError> {
        Ok(Selection {
            search: self.search(),
            cases: self.filters.resolve()?,
            at_step: self.at.clone().filter(|s| !s.trim().is_empty()),
            order: self.order()?,
        })
    }

    /// What the filters select beyond the search, as people read it.
    fn steps_summary(&self) -> String {
        let mut parts = self.filters.described();
        if let Some(a) = self.at.as_deref().filter(|a| !a.trim().is_empty()) {
            parts.push(format!("standing at {a}"));
        }
        if self.deviating() {
            parts.push("deviating from the model".into());
        }
        parts.join(", ")
    }

    /// The search, trimmed, if any.
    pub fn search(&self) -> Option<String> {
        self.q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_string)
    }

    fn link(&self, page: Option<u64>) -> String {
        let mut pairs = vec![];
        if let Some(q) = self.search() {
            pairs.push(("q", q));
        }
        pairs.extend(self.filters.pairs());
        for (name, value) in [
            ("at", &self.at),
            ("sort", &self.sort),
            ("deviating", &self.deviating),
        ] {
            if let Some(v) = value.clone().filter(|v| !v.trim().is_empty()) {
                pairs.push((name, v));
            }
        }
        if let Some(p) = page {
            pairs.push(("page", p.to_string()));
        }
        encode_query(&pairs)
    }
}

#[derive(Template)]
#[template(path = "instances.html")]
struct ListPage {
    header: Header,
    search: String,
    steps: String,
    total: String,
    /// Whether a reference model is configured (the list then says where each instance stands).
    tracked: bool,
    /// Whether only deviating instances are listed.
    deviating: bool,
    sort: &'static str,
    /// Each instance, where it stands against the model, how long it has waited (unfinished)
    /// or how it ended.
    rows: Vec<(InstanceRow, String, String)>,
    /// Where unfinished instances wait, by step.
    standings: Vec<StepRow>,
    clock: String,
    range: String,
    prev: Option<String>,
    next: Option<String>,
    query: String,
    bar: FilterBar,
    /// After a drill-down to a step: the histogram of its times, and over how many instances.
    histogram: Option<(String, u64)>,
    /// The step the listed instances stand at, kept by the form.
    at: String,
}

async fn list(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Html<String>, WebError> {
    let selection = params.selection()?;
    let order = selection.order;
    let page_no = params.page.unwrap_or(0);
    let offset = page_no
        .checked_mul(PAGE_SIZE)
        .filter(|&o| i64::try_from(o).is_ok())
        .ok_or_else(|| WebError::BadRequest(format!("page {page_no} is out of range")))?;
    let query = selection.page(offset, PAGE_SIZE);
    let config = state.config.clone();
    let deviating = params.deviating();
    let drilled = selection.clone();
    let (result, checked, overview, model_cells, (suggested, histogram)) =
        blocking(&state, move |s| {
            let (result, checked) = page_of(s, &config, &query, deviating)?;
            let cells = model_cells(s, &config, &result.instances)?;
            let histogram = crate::drill::step_histogram(s, &drilled)?;
            Ok((
                result,
                checked,
                s.overview()?,
                cells,
                (suggestions(s)?, histogram),
            ))
        })
        .await?;
    let shown = result.instances.len() as u64;
    let first = offset;
    page(ListPage {
        header: Header::new("instances", &overview),
        search: params.search().unwrap_or_default(),
        steps: params.steps_summary(),
        total: match checked {
            Some(checked) => format!(
                "{} (of the latest {} checked against the model)",
                miner::formats::counted(result.total, "instance"),
                checked
            ),
            None => miner::formats::counted(result.total, "instance"),
        },
        tracked: model_cells.is_some(),
        deviating,
        sort: order.as_str(),
        rows: result
            .instances
            .iter()
            .zip(
                model_cells
                    .unwrap_or_default()
                    .into_iter()
                    .chain(std::iter::repeat(String::new())),
            )
            .map(|(i, model)| {
                let wait = match outcome_of(&state.config.instances, &i.last_activity) {
                    Some(outcome) => format!("ended: {outcome}"),
                    None => WaitView::of(i, &overview).map_or_else(String::new, |w| w.cell()),
                };
                (InstanceRow::from(i), model, wait)
            })
            .collect(),
        standings: overview.steps.iter().map(StepRow::from).collect(),
        clock: clock_note(&overview.clock),
        range: if shown == 0 {
            "none".into()
        } else {
            format!("{}–{} of {}", first + 1, first + shown, result.total)
        },
        prev: (page_no > 0).then(|| params.link(Some(page_no - 1))),
        next: (first + shown < result.total).then(|| params.link(Some(page_no + 1))),
        query: params.link(None),
        bar: FilterBar::new("/instances", &params.filters, suggested),
        histogram,
        at: params.at.clone().unwrap_or_default(),
    })
}

/// The page `query` asks for; with `deviating`, of the instances deviating from the model, and
/// how many were checked when not all of them were.
fn page_of(
    store: &dyn collector::store::Store,
    config: &collector::CollectorConfig,
    query: &collector::store::InstanceQuery,
    deviating: bool,
) -> Result<(collector::store::InstancePage, Option<u64>), WebError> {
    if !deviating {
        return Ok((store.instances(query)?, None));
    }
    let found = crate::tracking::deviating_page(store, config, query)?;
    Ok((found.page, (!found.complete).then_some(found.checked)))
}

/// For each of `instances`, where it stands against the configured model, in a few words;
/// `None` without a model.
fn model_cells(
    store: &dyn collector::store::Store,
    config: &collector::CollectorConfig,
    instances: &[collector::store::InstanceSummary],
) -> Result<Option<Vec<String>>, WebError> {
    let Some((path, model)) = crate::tracking::configured_model(config, store) else {
        return Ok(None);
    };
    let ids: Vec<_> = instances.iter().map(|i| i.id).collect();
    let events = store.events_of(&ids)?;
    let asked: Vec<(&[miner::log::Event], collector::store::InstanceStatus)> = instances
        .iter()
        .map(|i| (events.get(&i.id).map_or(&[][..], Vec::as_slice), i.status))
        .collect();
    Ok(Some(
        crate::tracking::trackings(&path, &model, &asked)
            .iter()
            .map(crate::tracking::TrackingView::cell)
            .collect(),
    ))
}

/// Paging of the instance list as JSON.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Paging {
    /// How many to skip.
    offset: Option<u64>,
    /// How many at most (default 50, at most 1,000).
    limit: Option<u64>,
}

/// Largest page of `GET /api/instances`.
const MAX_API_PAGE: u64 = 1_000;

/// The instances the same filters as the list select, as JSON `{"total", "instances"}`,
/// newest activity first.
async fn list_json(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
    Query(paging): Query<Paging>,
) -> Result<axum::Json<collector::store::InstancePage>, WebError> {
    let limit = paging.limit.unwrap_or(PAGE_SIZE);
    if limit > MAX_API_PAGE {
        return Err(WebError::BadRequest(format!(
            "limit: {limit} is above {MAX_API_PAGE}; page with offset"
        )));
    }
    let offset = paging.offset.unwrap_or(0);
    if i64::try_from(offset).is_err() {
        return Err(WebError::BadRequest(format!(
            "offset {offset} is out of range"
        )));
    }
    let query = params.selection()?.page(offset, limit);
    let config = state.config.clone();
    let deviating = params.deviating();
    let (page, _) = blocking(&state, move |s| page_of(s, &config, &query, deviating)).await?;
    Ok(axum::Json(page))
}

#[derive(Template)]
#[template(path = "instance.html")]
struct DetailPage {
    header: Header,
    id: i64,
    label: String,
    status: &'static str,
    events_count: usize,
    first: String,
    last: String,
    duration: String,
    keys: Vec<(String, String)>,
    merges: Vec<String>,
    timeline: String,
    gantt: String,
    rows: Vec<EventRow>,
    /// Which events this page shows, when the instance has more than one page of them.
    events_shown: Option<String>,
    /// Links to the earlier and later events' pages.
    earlier: Option<String>,
    later: Option<String>,
    /// Keys not shown as chips.
    more_keys: usize,
    tracking: Option<crate::tracking::TrackingView>,
    wait: Option<WaitView>,
    clock: String,
    /// How it ended, when it has.
    outcome: Option<String>,
}

/// Events an instance page shows at once: a larger instance is paged, so a page stays small
/// whatever the instance (one OCEL object's instance rendered 4.8 MB of HTML).
const EVENTS_PER_PAGE: usize = 500;

/// Keys an instance page shows as chips; the rest are counted.
const KEYS_SHOWN: usize = 100;

/// Which page of an instance's events to show.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct EventsPage {
    /// 0-based page of [`EVENTS_PER_PAGE`] events.
    page: Option<usize>,
}

/// One instance as JSON: its summary, keys, merges and every event (spans included).
async fn detail_json(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let found = blocking(&state, move |s| Ok(s.instance(id)?)).await?;
    match found {
        Some(detail) => Ok(axum::Json(detail).into_response()),
        None => merged_or_missing(&state, id, "/api/instances").await,
    }
}

/// The header's search box: a business key value or `kind=value`; the instance itself when
/// exactly one carries it, else the list of those that do.
async fn search(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Redirect, WebError> {
    let Some(q) = params.search() else {
        return Ok(Redirect::to("/instances"));
    };
    let query = collector::store::InstanceQuery {
        search: Some(q.clone()),
        limit: 2,
        ..Default::default()
    };
    let found = blocking(&state, move |s| Ok(s.instances(&query)?)).await?;
    Ok(match found.instances.as_slice() {
        [only] if found.total == 1 => Redirect::to(&format!("/instances/{}", only.id)),
        _ => Redirect::to(&format!("/instances?{}", encode_query(&[("q", q)]))),
    })
}

/// The answer for an instance id that does not live: a redirect to the instance it was merged
/// into (under `prefix`), or "not found".
async fn merged_or_missing(state: &AppState, id: i64, prefix: &str) -> Result<Response, WebError> {
    match blocking(state, move |s| Ok(s.merged_into(id)?)).await? {
        Some(survivor) => Ok(Redirect::permanent(&format!("{prefix}/{survivor}")).into_response()),
        None => Err(WebError::NotFound(format!("instance {id} does not exist"))),
    }
}

async fn detail(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(paging): Query<EventsPage>,
) -> Result<Response, WebError> {
    let config = state.config.clone();
    let (found, overview, tracking) = blocking(&state, move |s| {
        let found = s.instance(id)?;
        let tracking = found
            .as_ref()
            .and_then(|d| crate::tracking::instance_tracking(&config, s, d));
        Ok((found, s.overview()?, tracking))
    })
    .await?;
    let Some(d) = found else {
        return merged_or_missing(&state, id, "/instances").await;
    };
    let mut rows = event_rows(&d.events);
    let pages = d.events.len().div_ceil(EVENTS_PER_PAGE).max(1);
    let page_no = paging.page.unwrap_or(0);
    if page_no >= pages {
        return Err(WebError::NotFound(format!(
            "page {page_no} of instance {id}'s events: it has {pages}"
        )));
    }
    let shown = page_no * EVENTS_PER_PAGE..((page_no + 1) * EVENTS_PER_PAGE).min(d.events.len());
    // One scale for every page of the instance: its whole time, to the end of its last step.
    let scale = TimeScale::of(d.summary.first_event, d.summary.last_event, &d.events);
    let (first, last) = (
        rows.first().map(|r| r.time.clone()).unwrap_or_default(),
        rows.last().map(|r| r.time.clone()).unwrap_or_default(),
    );
    rows.truncate(shown.end);
    rows.drain(..shown.start);
    let link = |n: usize| format!("/instances/{id}?page={n}");
    Ok(page(DetailPage {
        header: Header::new("instances", &overview),
        id,
        label: d.summary.label.clone(),
        status: d.summary.status.as_str(),
        events_count: d.events.len(),
        first,
        last,
        duration: format_duration(d.summary.last_event - d.summary.first_event),
        keys: d
            .keys
            .iter()
            .take(KEYS_SHOWN)
            .map(|k| (k.to_string(), percent_encode(&k.value)))
            .collect(),
        more_keys: d.keys.len().saturating_sub(KEYS_SHOWN),
        merges: d
            .merges
            .iter()
            .map(|m| format!("{} (linked by event {})", m.absorbed_label, m.by_event))
            .collect(),
        timeline: timeline_svg(&d.events[shown.clone()], scale),
        gantt: steps_gantt_svg(&d.events[shown.clone()], scale),
        rows,
        events_shown: (pages > 1).then(|| {
            format!(
                "events {}–{} of {}",
                shown.start + 1,
                shown.end,
                d.events.len()
            )
        }),
        earlier: (page_no > 0).then(|| link(page_no - 1)),
        later: (page_no + 1 < pages).then(|| link(page_no + 1)),
        tracking,
        wait: WaitView::of(&d.summary, &overview),
        outcome: outcome_of(&state.config.instances, &d.summary.last_activity),
        clock: clock_note(&overview.clock),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "uncorrelated.html")]
struct UncorrelatedPage {
    header: Header,
    rows: Vec<EventRow>,
}

async fn uncorrelated(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    let (events, overview) =
        blocking(&state, |s| Ok((s.uncorrelated(200)?, s.overview()?))).await?;
    page(UncorrelatedPage {
        header: Header::new("instances", &overview),
        rows: event_rows(&events),
    })
}
