//! The Discover page: correlation rules proposed from the store's newest events, what they
//! would change against the rules in force, and a preview (instances, map, configuration) of
//! the keys a user accepts, renames or drops, before any rule applies.

use super::{blocking, page};
use crate::views::Header;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use collector::discover::{changes, discover, preview, stored_sample, DiscoverOptions, Discovery};
use collector::CollectorConfig;
use miner::discovery::ProcessStatsBuilder;
use miner::layout::{layout, render_svg, MapMetric};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Events sampled by default, and at most.
const DEFAULT_SAMPLE: usize = 5_000;
const MAX_SAMPLE: usize = 100_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/discover", get(discover_page))
        .route("/api/discover", get(discover_json))
        .route("/api/discover/preview", get(preview_json))
        .route("/api/discover/flowsight.toml", get(config_file))
}

/// A sample and what discovery proposes from it.
struct Sampled {
    messages: Vec<Value>,
    origin: String,
    discovery: Result<Discovery, String>,
    /// What the proposal would change against the rules in force (when asked for).
    changes: Vec<String>,
}

/// Samples the store's newest `size` events and discovers rules from them (and, with
/// `with_changes`, what they would change), on the blocking pool: discovery is CPU work.
async fn sampled(
    state: &AppState,
    size: Option<usize>,
    with_changes: bool,
) -> Result<Sampled, WebError> {
    let size = size.unwrap_or(DEFAULT_SAMPLE).clamp(1, MAX_SAMPLE);
    let mapping = state.config.mapping.clone();
    blocking(state, move |store| {
        let messages = stored_sample(store, &mapping, size)?.messages;
        let origin = format!("the newest {} events of the store", messages.len());
        let discovery = if messages.is_empty() {
            Err("the store holds no events yet: ingest or import some, then discover".into())
        } else {
            discover(&messages, &DiscoverOptions::default()).map_err(|e| e.to_string())
        };
        let changes = match &discovery {
            Ok(d) if with_changes => changes(d, &mapping, &messages),
            _ => Vec::new(),
        };
        Ok(Sampled {
            messages,
            origin,
            discovery,
            changes,
        })
    })
    .await
}

/// `?sample=N`, and the user's decisions: `kN=NAME` applies proposed key N under NAME (every
/// key without one is dropped), `traces=1` links traces.
#[derive(serde::Deserialize)]
struct Decisions {
    sample: Option<usize>,
    traces: Option<String>,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl Decisions {
    fn applied(&self) -> Result<BTreeMap<usize, String>, WebError> {
        let mut applied = BTreeMap::new();
        for (name, value) in &self.rest {
            let Some(index) = name.strip_prefix('k') else {
                return Err(WebError::BadRequest(format!(
                    "unknown parameter {name:?}: use kN=NAME to apply proposed key N, traces=1, sample=N"
                )));
            };
            let index: usize = index.parse().map_err(|_| {
                WebError::BadRequest(format!("{name:?}: kN needs a key number, e.g. k0=order"))
            })?;
            applied.insert(index, value.trim().to_string());
        }
        Ok(applied)
    }

    /// The rules of `sampled`'s discovery with these decisions applied, as configuration
    /// text and as the configuration it reads as, with the sampled messages.
    fn decide(&self, sampled: Sampled) -> Result<(Vec<Value>, String, CollectorConfig), WebError> {
        let mut discovery = sampled.discovery.map_err(WebError::BadRequest)?;
        discovery
            .decide(&self.applied()?, self.traces.as_deref() == Some("1"))
            .map_err(WebError::BadRequest)?;
        let (text, config) = discovery
            .config(&sampled.origin)
            .map_err(|e| WebError::BadRequest(e.to_string()))?;
        Ok((sampled.messages, text, config))
    }
}

#[derive(Template)]
#[template(path = "discover.html")]
struct DiscoverPage {
    header: Header,
    rules: String,
    origin: String,
    discovery: Option<Discovery>,
    problem: String,
    changes: Vec<String>,
}

impl DiscoverPage {
    fn percent(share: &f64) -> String {
        format!("{:.0}%", share * 100.0)
    }
}

async fn discover_page(
    State(state): State<AppState>,
    Query(decisions): Query<Decisions>,
) -> Result<Html<String>, WebError> {
    let sampled = sampled(&state, decisions.sample, true).await?;
    let overview = blocking(&state, |s| Ok(s.overview()?)).await?;
    let (discovery, problem) = match sampled.discovery {
        Ok(d) => (Some(d), String::new()),
        Err(problem) => (None, problem),
    };
    page(DiscoverPage {
        header: Header::new("discover", &overview),
        rules: state.rules_origin.clone(),
        origin: sampled.origin,
        discovery,
        problem,
        changes: sampled.changes,
    })
}

async fn discover_json(
    State(state): State<AppState>,
    Query(decisions): Query<Decisions>,
) -> Result<Json<Value>, WebError> {
    let sampled = sampled(&state, decisions.sample, true).await?;
    let discovery = sampled.discovery.map_err(WebError::BadRequest)?;
    Ok(Json(serde_json::json!({
        "sample": sampled.origin,
        "rules_in_force": state.rules_origin,
        "changes": sampled.changes,
        "discovery": discovery,
    })))
}

/// What the decided rules make of the sample: instance and event counts, the map and the
/// configuration text.
async fn preview_json(
    State(state): State<AppState>,
    Query(decisions): Query<Decisions>,
) -> Result<Json<Value>, WebError> {
    let (messages, text, config) =
        decisions.decide(sampled(&state, decisions.sample, false).await?)?;
    blocking(&state, move |_| {
        let result = preview(&config.mapping, &messages);
        let mut builder = ProcessStatsBuilder::new();
        for steps in &result.instances {
            let activities: Vec<u32> = steps.iter().map(|e| builder.intern(&e.activity)).collect();
            let times: Vec<Option<i64>> = steps.iter().map(|e| Some(e.timestamp)).collect();
            builder.add_case(&activities, &times);
        }
        let stats = builder.finish();
        let map = miner::filter::simplify_paths(&stats, 100);
        let svg = render_svg(&map, &layout(&map), MapMetric::Events);
        let correlated: usize = result.instances.iter().map(Vec::len).sum();
        Ok(Json(serde_json::json!({
            "instances": result.instances.len(),
            "correlated_events": correlated,
            "uncorrelated_events": result.uncorrelated,
            "unmapped_messages": result.unmapped,
            "variants": stats.variants.len(),
            "svg": svg,
            "config": text,
        })))
    })
    .await
}

/// The decided rules as a `flowsight.toml` download.
async fn config_file(
    State(state): State<AppState>,
    Query(decisions): Query<Decisions>,
) -> Result<impl IntoResponse, WebError> {
    let (_, text, _) = decisions.decide(sampled(&state, decisions.sample, false).await?)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/toml; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"flowsight.toml\"",
            ),
        ],
        text,
    ))
}
