//! What the web crate's integration tests share: the app over a store, and its pages' text.
// Each test crate compiles this module and uses some of it.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use collector::sources::files::{import_file, ImportOptions};
use collector::sources::http::IngestLimits;
use collector::store::{EmbeddedStore, Store, StoreWrite};
use collector::CollectorConfig;
use flowsight_web::imports::Imports;
use flowsight_web::{app, AppState};
use std::sync::Arc;
use tower::ServiceExt;

/// The app over a fresh embedded store into which the event log file at `path` was imported
/// (as `flowsight import` does, without rules), with the store's directory.
pub fn served_file(path: &std::path::Path) -> (tempfile::TempDir, axum::Router) {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(EmbeddedStore::open(&dir.path().join("store"), Default::default()).unwrap());
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    import_file(
        store.as_ref(),
        path,
        &name,
        &ImportOptions::default(),
        |f| Box::new(f),
    )
    .unwrap();
    (dir, router(store, CollectorConfig::default()))
}

/// The whole app over `store`, judged by `config`, as `flowsight serve` builds it.
pub fn router(store: Arc<dyn Store>, config: CollectorConfig) -> axum::Router {
    app(
        AppState {
            store,
            config: Arc::new(config),
            rules_origin: "test".into(),
            kafka: None,
            otlp: None,
            imports: Imports::default(),
        },
        IngestLimits::default(),
    )
}

/// The answer to `GET uri`.
async fn answer(router: &axum::Router, uri: &str) -> axum::response::Response {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    router.clone().oneshot(request).await.unwrap()
}

/// The status and body of `GET uri`.
pub async fn get(router: &axum::Router, uri: &str) -> (StatusCode, String) {
    let (status, body) = get_bytes(router, uri).await;
    (status, String::from_utf8(body).unwrap())
}

/// The status and raw body of `GET uri` (for pictures).
pub async fn get_bytes(router: &axum::Router, uri: &str) -> (StatusCode, Vec<u8>) {
    let response = answer(router, uri).await;
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await;
    (status, body.unwrap().to_vec())
}

/// The status and `Location` of `GET uri`: where a redirect leads.
pub async fn location(router: &axum::Router, uri: &str) -> (StatusCode, Option<String>) {
    let response = answer(router, uri).await;
    let to = response.headers().get(axum::http::header::LOCATION);
    let to = to.map(|v| v.to_str().unwrap().to_string());
    (response.status(), to)
}

/// A store of `orders` generated orders judged by `config`, the router over it, and the
/// generator's ground truth.
pub fn served_orders(
    config: &str,
    orders: usize,
) -> (
    tempfile::TempDir,
    Arc<collector::store::EmbeddedStore>,
    axum::Router,
    fixtures::GroundTruth,
) {
    served_scenario(
        config,
        &fixtures::Scenario {
            orders,
            ..fixtures::Scenario::default()
        },
    )
}

/// A store of the orders `scenario` generates judged by `config`, the router over it, and
/// the generator's ground truth.
pub fn served_scenario(
    config: &str,
    scenario: &fixtures::Scenario,
) -> (
    tempfile::TempDir,
    Arc<collector::store::EmbeddedStore>,
    axum::Router,
    fixtures::GroundTruth,
) {
    let config = CollectorConfig::parse(config).unwrap();
    let flow = fixtures::generate(scenario);
    let serde_json::Value::Array(envelopes) = serde_json::to_value(&flow.events).unwrap() else {
        unreachable!("a list serializes to an array")
    };
    let events = envelopes
        .into_iter()
        .map(|v| collector::mapping::map_event(&config.mapping, v, b"", "test"))
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        collector::store::EmbeddedStore::open(dir.path(), config.instances.clone()).unwrap(),
    );
    store.append(&events).unwrap();
    let router = router(store.clone(), config);
    (dir, store, router, flow.truth)
}

/// A file of the shared fixtures (`FLOWSIGHT_SHARED`, or `shared/` beside the project).
pub fn shared(path: &str) -> std::path::PathBuf {
    std::env::var_os("FLOWSIGHT_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
        })
        .join("fixtures")
        .join(path)
}

/// How many cases the variants of a `variants.json` export hold together.
pub fn cases_in_variants(variants: &serde_json::Value) -> u64 {
    variants
        .as_array()
        .expect("variants.json is an array")
        .iter()
        .map(|v| v["count"].as_u64().expect("each variant has a count"))
        .sum()
}
