//! `/metrics` says how much the collector holds in memory: the live instances, their keys and
//! their events' ids, which stay flat while the instances in flight do.

use axum::body::Body;
use axum::http::Request;
use collector::config::InstanceRules;
use collector::sources::http::IngestLimits;
use collector::store::{EmbeddedStore, StoreRead, StoreWrite};
use collector::CollectorConfig;
use flowsight_web::imports::Imports;
use flowsight_web::{app, AppState};
use miner::log::{BusinessKey, Event};
use std::sync::Arc;
use tower::ServiceExt;

fn event(id: &str, t: i64, order: &str) -> Event {
    Event {
        id: id.into(),
        activity: if id.ends_with("done") { "Done" } else { "Step" }.into(),
        timestamp: t,
        source: "test".into(),
        keys: vec![BusinessKey::new("order", order)],
        trace_id: None,
        span_id: None,
        attributes: Default::default(),
    }
}

/// The value of gauge `name` in a Prometheus text.
fn gauge(text: &str, name: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn metrics_say_what_the_collector_holds_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let rules = InstanceRules {
        end_activities: vec!["Done".into()],
        ..Default::default()
    };
    let store = Arc::new(EmbeddedStore::open(dir.path(), rules).unwrap());
    // Two orders in flight, and 300 that ended: enough for the ended ones to leave memory.
    store
        .append(&[event("a", 0, "live-a"), event("b", 0, "live-b")])
        .unwrap();
    for n in 0..300 {
        let order = format!("o{n}");
        store
            .append(&[
                event(&format!("{n}-step"), n, &order),
                event(&format!("{n}-done"), n + 1, &order),
            ])
            .unwrap();
    }
    let router = app(
        AppState {
            store: store.clone(),
            config: Arc::new(CollectorConfig::default()),
            rules_origin: "no rules".into(),
            kafka: None,
            otlp: None,
            imports: Imports::default(),
        },
        IngestLimits::default(),
    );
    let response = router
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let held = store.held_in_memory().unwrap();
    assert_eq!(
        gauge(&text, "flowsight_live_instances"),
        held.instances as u64
    );
    assert_eq!(gauge(&text, "flowsight_live_keys"), held.keys as u64);
    assert_eq!(
        gauge(&text, "flowsight_live_event_ids"),
        held.event_ids as u64
    );
    assert!(held.keys < 302, "ended orders left memory: {held:?}");
    assert_eq!(gauge(&text, "flowsight_store_instances"), 302);
    assert!(
        gauge(&text, "flowsight_notions_behind_events") <= 602,
        "at most every event stored"
    );
}
