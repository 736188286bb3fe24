#![warn(missing_docs)]
//! Flowsight's web UI and HTTP API: process map, instances, variants, bottlenecks and exports,
//! rendered on the server (axum + askama) from the store's answers and the miner's models.
//!
//! [`app`] builds the whole router, the collector's HTTP ingest included, so one port serves
//! both the events coming in and the views going out.

pub mod error;
pub mod reports;
mod routes;
mod views;

pub use error::WebError;

use axum::Router;
use collector::sources::http::{self as ingest, IngestLimits, IngestState};
use collector::sources::kafka::KafkaMetrics;
use collector::sources::otlp::{self, OtlpIngest};
use collector::store::Store;
use collector::CollectorConfig;
use std::sync::Arc;

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
    routes::router(state)
        .merge(ingest)
        .merge(traces)
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Serves `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
