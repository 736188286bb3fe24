//! The process map page, and the SVG fragment its sliders fetch.

use super::{blocking, encode_query, page};
use crate::filter_bar::{suggestions, FilterBar};
use crate::query::Query;
use crate::reports::notion::CaseNotion;
use crate::reports::{MapRequest, MapView, MAX_DRAWN_ACTIVITIES};
use crate::views::Header;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use miner::formats::counted;
use miner::layout::MapMode;
use miner::time::format_duration;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/map", get(map_page))
        .route("/api/map.svg", get(map_svg))
}

#[derive(Template)]
#[template(path = "map.html")]
struct MapPage {
    header: Header,
    performance: bool,
    /// What the map measures (`events`, `total`, …).
    metric: &'static str,
    /// Which steps it shows (`both`, `events`, `spans`).
    steps: &'static str,
    activities: u8,
    paths: u8,
    bar: FilterBar,
    /// The case notion asked for (empty: the instances; `*`: every kind).
    notion: String,
    /// The key kinds a map can take as its case notion.
    kinds: Vec<String>,
    summary: String,
    query: String,
    svg: String,
}

/// One line saying what the map shows.
fn summary(view: &MapView) -> String {
    let arcs = view.map.arcs.len();
    let capped = if view.capped {
        format!(
            " (a map draws at most the {MAX_DRAWN_ACTIVITIES} most frequent activities: filter the instances to see others)"
        )
    } else {
        String::new()
    };
    let cases = match &view.filters.notion {
        CaseNotion::Instances => counted(view.full.cases, "instance"),
        CaseNotion::Kind(kind) => {
            format!("{} (one per {kind} key)", counted(view.full.cases, "case"))
        }
        CaseNotion::EveryKind => format!(
            "{} of {}",
            counted(view.full.cases, "object"),
            counted(
                view.objects.as_ref().map_or(0, |o| o.kinds.len() as u64),
                "type"
            )
        ),
    };
    format!(
        "{cases}, {}; showing {} of {}{capped} and {}; throughput median {}, 95th percentile {}",
        counted(view.full.events, "event"),
        view.shown.activities.len(),
        counted(view.full.activities.len() as u64, "activity"),
        counted(arcs as u64, "path"),
        format_duration(view.full.throughput.median),
        format_duration(view.full.throughput.p95),
    )
}

/// The map's settings and filters as a query string, for links that keep them.
fn query_string(request: &MapRequest) -> String {
    let mut pairs: Vec<(&str, String)> = [
        ("mode", request.mode.clone()),
        ("metric", request.metric.clone()),
        ("steps", request.steps.clone()),
        ("activities", request.activities.map(|v| v.to_string())),
        ("paths", request.paths.map(|v| v.to_string())),
        ("notion", request.notion.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect();
    pairs.extend(request.filters.pairs());
    encode_query(&pairs)
}

async fn map_page(
    State(state): State<AppState>,
    Query(request): Query<MapRequest>,
) -> Result<Html<String>, WebError> {
    let r = request.clone();
    let (view, overview, suggested) = blocking(&state, move |store| {
        Ok((
            MapView::compute(store, &r)?,
            store.overview()?,
            suggestions(store)?,
        ))
    })
    .await?;
    let kinds = suggested.keys.clone();
    page(MapPage {
        header: Header::new("map", &overview),
        performance: view.filters.mode == MapMode::Performance,
        metric: view.filters.metric.as_str(),
        steps: view.filters.steps.as_str(),
        activities: view.filters.activities,
        paths: view.filters.paths,
        bar: FilterBar::new("/map", &request.filters, suggested),
        notion: request.notion.clone().unwrap_or_default(),
        kinds,
        summary: summary(&view),
        query: query_string(&request),
        svg: view.svg(),
    })
}

async fn map_svg(
    State(state): State<AppState>,
    Query(request): Query<MapRequest>,
) -> Result<impl IntoResponse, WebError> {
    let view = blocking(&state, move |store| MapView::compute(store, &request)).await?;
    // Header values must be visible ASCII: the summary has none other.
    let line = summary(&view).replace(|c: char| !c.is_ascii() || c.is_ascii_control(), " ");
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml".to_string()),
            (header::HeaderName::from_static("x-map-summary"), line),
        ],
        view.svg(),
    ))
}
