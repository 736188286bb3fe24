#![warn(missing_docs)]
//! Flowsight's web UI and HTTP API: process map, instances, variants, bottlenecks and exports,
//! rendered on the server (axum + askama) from the store's answers and the miner's models.
//!
//! [`app`] builds the whole router, the collector's HTTP ingest included, so one port serves
//! both the events coming in and the views going out.

pub mod auth;
mod coalesce;
mod drill;
pub mod error;
pub mod filter_bar;
pub mod guard;
pub mod imports;
mod query;
pub mod reports;
mod routes;
pub mod server;
mod timeline;
mod tracking;
mod views;
mod waits;
pub mod webhook;

pub use error::WebError;
pub use server::{serve, ServerLimits};

use axum::http::{HeaderName, HeaderValue};
use axum::Router;
use collector::sources::http::{self as ingest, IngestLimits, IngestState};
use collector::sources::kafka::KafkaMetrics;
use collector::sources::otlp::{self, OtlpIngest};
use collector::store::Store;
use collector::CollectorConfig;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// What every handler needs.
#[derive(Clone)]
pub struct AppState {
    /// Where events are read from (and written to by the ingest).
    pub store: Arc<dyn Store>,
    /// Mapping rules and instance rules.
    pub config: Arc<CollectorConfig>,
    /// Where those rules came from (a file, the store, the defaults), shown on the Sources
    /// page, so that a user knows which rules the numbers follow.
    pub rules_origin: String,
    /// The figures of the Kafka source running in this process, if one does.
    pub kafka: Option<Arc<KafkaMetrics>>,
    /// The OTLP trace ingest, served as `POST /v1/traces` beside the UI when present.
    pub otlp: Option<OtlpIngest>,
    /// The Import page's limits.
    pub imports: imports::Imports,
}

/// The complete router: UI pages, JSON/CSV/SVG exports, `POST /api/events` and, with an
/// OTLP ingest, `POST /v1/traces`.
pub fn app(state: AppState, limits: IngestLimits) -> Router {
    let ingest = ingest::router(IngestState {
        store: state.store.clone(),
        mapping: Arc::new(state.config.mapping.clone()),
        limits,
    });
    let traces = state.otlp.clone().map(otlp::router).unwrap_or_default();
    let mut app = routes::router(state).merge(ingest).merge(traces);
    for (name, value) in SECURITY_HEADERS {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    app.layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Headers every answer carries, so a browser never sniffs a download into a page, never
/// frames the UI into another site, sends no referrer to other sites (same-origin: with
/// no-referrer a browser sends `Origin: null` on the UI's own form posts) and runs only the UI's own
/// scripts (the pages' small inline scripts included).
const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
];
