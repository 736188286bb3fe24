//! Routes: one file per page or API, all reading through the store.

mod assets;
mod bottlenecks;
mod charts;
mod compare;
mod discover;
mod error_pages;
mod exports;
mod instances;
mod live;
mod map;
mod model;
mod sources;
mod streamed;
mod upload;
mod variants;

use crate::filter_bar::{suggestions, FilterParams, Suggestions};
use crate::{AppState, WebError};
use axum::response::{Html, Redirect};
use axum::routing::get;
use axum::{Json, Router};
use collector::store::{StatsQuery, Store, StoreOverview};
use miner::discovery::ProcessStats;
use std::sync::Arc;

/// Every UI page, export and read API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/map") }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/overview", get(overview))
        .merge(map::routes())
        .merge(instances::routes())
        .merge(variants::routes())
        .merge(bottlenecks::routes())
        .merge(charts::routes())
        .merge(compare::routes())
        .merge(exports::routes())
        .merge(upload::routes())
        .merge(sources::routes())
        .merge(discover::routes())
        .merge(model::routes())
        .merge(live::routes())
        .merge(assets::routes())
        .fallback(error_pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            crate::coalesce::InFlight::default(),
            crate::coalesce::coalesce,
        ))
        .layer(axum::middleware::from_fn(error_pages::error_pages))
        .with_state(state)
}

/// What a filtered analysis page reads: the statistics of the instances the filter bar
/// selects, the overview for its header, and what the bar suggests.
async fn filtered_stats(
    state: &AppState,
    params: &FilterParams,
) -> Result<(ProcessStats, StoreOverview, Suggestions), WebError> {
    let cases = params.resolve()?;
    blocking(state, move |s| {
        let stats = s.process_stats(&StatsQuery {
            cases,
            activities: None,
        })?;
        Ok((stats, s.overview()?, suggestions(s)?))
    })
    .await
}

/// Runs store work on the blocking pool, so slow queries never stall the async runtime; at
/// most two per core run at once (bounded memory under a storm of different requests), and work
/// whose request was dropped (the client left) while it waited never starts.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&dyn Store) -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    static RUNNING: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let running = RUNNING.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(2 * cores)
    });
    let _turn = running
        .acquire()
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let store: Arc<dyn Store> = state.store.clone();
    tokio::task::spawn_blocking(move || work(store.as_ref()))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
}

/// Renders an askama template into an HTML response.
fn page(template: impl askama::Template) -> Result<Html<String>, WebError> {
    Ok(Html(template.render()?))
}

async fn overview(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<Json<collector::store::StoreOverview>, WebError> {
    Ok(Json(blocking(&state, |s| Ok(s.overview()?)).await?))
}

/// `k=v&…` with values percent-encoded, for links that carry a page's parameters.
pub(crate) fn encode_query(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
