//! The breach webhook against a real HTTP receiver: a new breach is posted once (retried after
//! the receiver fails), an old one is not posted again, and a later breach gets its own message.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use collector::store::{EmbeddedStore, Store};
use collector::CollectorConfig;
use miner::log::{BusinessKey, Event};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MINUTE: i64 = 60_000_000;

fn event(order: &str, activity: &str, at: i64) -> Event {
    Event {
        id: format!("{order}-{activity}-{at}"),
        activity: activity.into(),
        timestamp: at,
        source: "test".into(),
        keys: vec![BusinessKey::new("order", order)],
        trace_id: None,
        span_id: None,
        attributes: Default::default(),
    }
}

/// What the receiver got, and how many requests it failed on purpose.
#[derive(Default)]
struct Received {
    bodies: Vec<serde_json::Value>,
    failed: usize,
}

async fn receive(State(received): State<Arc<Mutex<Received>>>, body: String) -> StatusCode {
    let mut received = received.lock().unwrap();
    if received.failed == 0 {
        received.failed += 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    received.bodies.push(serde_json::from_str(&body).unwrap());
    StatusCode::NO_CONTENT
}

async fn eventually(received: &Arc<Mutex<Received>>, messages: usize) -> Vec<serde_json::Value> {
    for _ in 0..100 {
        let bodies = received.lock().unwrap().bodies.clone();
        if bodies.len() >= messages {
            return bodies;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the receiver did not get {messages} messages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_breaches_are_posted_once_with_retries() {
    let received = Arc::new(Mutex::new(Received::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(received.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let config = CollectorConfig::parse(&format!(
        "[instances]\nend_activities = [\"Done\"]\nstuck_after = \"1h\"\n[tracking.webhook]\nurl = \"{url}\"\nevery = \"1s\"\n"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(EmbeddedStore::open(dir.path(), config.instances.clone()).unwrap());
    // Against the newest event (70 min), order a (at 0) is past its hour; b (50 min) is not.
    store
        .append(&[
            event("a", "Pick", 0),
            event("b", "Pack", 50 * MINUTE),
            event("c", "Done", 70 * MINUTE),
        ])
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let hook = tokio::spawn(flowsight_web::webhook::run(
        store.clone(),
        Arc::new(config),
        async move {
            let _ = stopped.await;
        },
    ));

    let first = eventually(&received, 1).await;
    assert_eq!(
        received.lock().unwrap().failed,
        1,
        "the first attempt failed and was retried"
    );
    assert_eq!(first[0]["new_breaches"], 1);
    let breach = &first[0]["breaches"][0];
    assert_eq!(
        (breach["label"].as_str(), breach["step"].as_str()),
        (Some("order=a"), Some("Pick"))
    );
    assert_eq!(breach["limit_seconds"], 3600.0);
    assert_eq!(breach["waited_seconds"], 4200.0);

    // Time moves on (a newer event): b is now past its hour too; a is not told again.
    store.append(&[event("d", "Done", 120 * MINUTE)]).unwrap();
    let second = eventually(&received, 2).await;
    let labels: Vec<&str> = second[1]["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["order=b"]);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        received.lock().unwrap().bodies.len(),
        2,
        "nothing new, nothing sent"
    );
    stop.send(()).unwrap();
    hook.await.unwrap();
}
