//! The instance list (search by business key, status filter, paging), one instance with its
//! timeline, and the uncorrelated events.

use super::{blocking, encode_query, page, percent_encode};
use crate::views::{event_rows, spans_gantt_svg, timeline_svg, EventRow, Header, InstanceRow};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use collector::store::{InstanceQuery, InstanceStatus};
use miner::time::format_duration;
use serde::Deserialize;

/// Instances per page.
const PAGE_SIZE: u64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/instances", get(list))
        .route("/instances/{id}", get(detail))
        .route("/api/instances/{id}", get(detail_json))
        .route("/uncorrelated", get(uncorrelated))
}

/// Query parameters of the instance list (and its exports).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListParams {
    /// Business key value or `kind=value`.
    pub q: Option<String>,
    /// `completed`, `running` or `stuck`.
    pub status: Option<String>,
    /// 0-based page.
    pub page: Option<u64>,
}

impl ListParams {
    /// The status filter, checked.
    pub fn status(&self) -> Result<Option<InstanceStatus>, WebError> {
        match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => InstanceStatus::parse(s).map(Some).ok_or_else(|| {
                WebError::BadRequest(format!("status: {s:?} is not completed, running or stuck"))
            }),
        }
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
        if let Some(s) = self.status.clone().filter(|s| !s.is_empty()) {
            pairs.push(("status", s));
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
    status: String,
    total: String,
    rows: Vec<InstanceRow>,
    range: String,
    prev: Option<String>,
    next: Option<String>,
    query: String,
}

async fn list(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Html<String>, WebError> {
    let status = params.status()?;
    let page_no = params.page.unwrap_or(0);
    let offset = page_no
        .checked_mul(PAGE_SIZE)
        .filter(|&o| i64::try_from(o).is_ok())
        .ok_or_else(|| WebError::BadRequest(format!("page {page_no} is out of range")))?;
    let query = InstanceQuery {
        search: params.search(),
        status,
        offset,
        limit: PAGE_SIZE,
    };
    let (result, overview) =
        blocking(&state, move |s| Ok((s.instances(&query)?, s.overview()?))).await?;
    let shown = result.instances.len() as u64;
    let first = offset;
    page(ListPage {
        header: Header::new("instances", &overview),
        search: params.search().unwrap_or_default(),
        status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        total: miner::formats::counted(result.total, "instance"),
        rows: result.instances.iter().map(InstanceRow::from).collect(),
        range: if shown == 0 {
            "none".into()
        } else {
            format!("{}–{} of {}", first + 1, first + shown, result.total)
        },
        prev: (page_no > 0).then(|| params.link(Some(page_no - 1))),
        next: (first + shown < result.total).then(|| params.link(Some(page_no + 1))),
        query: params.link(None),
    })
}

#[derive(Template)]
#[template(path = "instance.html")]
struct DetailPage {
    header: Header,
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
}

/// One instance as JSON: its summary, keys, merges and every event (spans included).
async fn detail_json(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<axum::Json<collector::store::InstanceDetail>, WebError> {
    let found = blocking(&state, move |s| Ok(s.instance(id)?)).await?;
    found.map(axum::Json).ok_or_else(|| {
        WebError::NotFound(format!(
            "instance {id} does not exist (it may have been merged into another)"
        ))
    })
}

async fn detail(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let (found, overview) = blocking(&state, move |s| Ok((s.instance(id)?, s.overview()?))).await?;
    let d = found.ok_or_else(|| {
        WebError::NotFound(format!(
            "instance {id} does not exist (it may have been merged into another)"
        ))
    })?;
    let rows = event_rows(&d.events);
    page(DetailPage {
        header: Header::new("instances", &overview),
        label: d.summary.label.clone(),
        status: d.summary.status.as_str(),
        events_count: d.events.len(),
        first: rows.first().map(|r| r.time.clone()).unwrap_or_default(),
        last: rows.last().map(|r| r.time.clone()).unwrap_or_default(),
        duration: format_duration(d.summary.last_event - d.summary.first_event),
        keys: d
            .keys
            .iter()
            .map(|k| (k.to_string(), percent_encode(&k.value)))
            .collect(),
        merges: d
            .merges
            .iter()
            .map(|m| format!("{} (linked by event {})", m.absorbed_label, m.by_event))
            .collect(),
        timeline: timeline_svg(&d.events),
        gantt: spans_gantt_svg(&d.events),
        rows,
    })
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
