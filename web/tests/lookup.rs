//! Finding an instance: under an old id after it was merged into another (its page and its
//! JSON redirect to the instance it became; an id that never existed is a 404 page in the
//! layout), and from the header's search box (one hit opens it, more list them).

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use collector::sources::http::IngestLimits;
use collector::store::{EmbeddedStore, Store};
use collector::CollectorConfig;
use flowsight_web::imports::Imports;
use flowsight_web::{app, AppState};
use miner::log::{BusinessKey, Event};
use std::sync::Arc;
use tower::ServiceExt;

fn event(id: &str, t: i64, keys: &[(&str, &str)]) -> Event {
    Event {
        id: id.into(),
        activity: id.to_uppercase(),
        timestamp: t,
        source: "test".into(),
        keys: keys.iter().map(|(k, v)| BusinessKey::new(*k, *v)).collect(),
        trace_id: None,
        span_id: None,
        attributes: Default::default(),
    }
}

#[tokio::test]
async fn an_instance_is_found_by_an_old_id_or_by_a_key_from_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(dir.path(), Default::default()).unwrap());
    store
        .append(&[event("placed", 10, &[("order", "7")])])
        .unwrap();
    store
        .append(&[event("picked", 30, &[("pick", "x")])])
        .unwrap();
    store
        .append(&[event("fetch", 20, &[("order", "7"), ("pick", "x")])])
        .unwrap();
    let live = store.instances(&Default::default()).unwrap().instances[0].id;
    let merges = store.instance(live).unwrap().unwrap().merges;
    let absorbed = merges[0].absorbed;
    let router = app(
        AppState {
            store,
            config: Arc::new(CollectorConfig::default()),
            rules_origin: "test".into(),
            kafka: None,
            otlp: None,
            imports: Imports::default(),
        },
        IngestLimits::default(),
    );
    for prefix in ["/instances", "/api/instances"] {
        let response = router
            .clone()
            .oneshot(
                Request::get(format!("{prefix}/{absorbed}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(
            response.headers()[header::LOCATION],
            format!("{prefix}/{live}").as_str()
        );
    }
    let response = router
        .oneshot(
            Request::get("/instances/999999")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let page = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(
        page.contains("instance 999999 does not exist") && page.contains("<nav>"),
        "{page}"
    );
}
