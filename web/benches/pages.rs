//! `make bench`: ingest rate into the embedded store over the HTTP ingest; server render time
//! of every page and export under filter combinations, on the demo data (5,000 orders;
//! `FLOWSIGHT_BENCH_ORDERS=125000` for about a million events) and on BPI Challenge 2012
//! (when `FLOWSIGHT_SHARED` names the shared fixtures); and a storm of 1,000 simultaneous map
//! requests with one event posted in the middle of it. Targets: each page under 300 ms; in the
//! storm, p99 under 5 s and the post under 1 s.

use axum::body::Body;
use axum::http::Request;
use collector::sources::http::IngestLimits;
use collector::store::EmbeddedStore;
use collector::CollectorConfig;
use fixtures::{generate, Scenario, ORDER_FLOW_CONFIG};
use flowsight_web::{app, AppState};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const RUNS: usize = 15;

async fn call(app: &axum::Router, request: Request<Body>) -> (u16, usize) {
    let response = app.clone().oneshot(request).await.expect("router answers");
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, body.len())
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = CollectorConfig::parse(ORDER_FLOW_CONFIG).expect("demo config");
    let store = Arc::new(EmbeddedStore::open(dir.path(), config.instances.clone()).expect("store"));
    let router = app(
        AppState {
            store,
            config: Arc::new(config),
            rules_origin: "the demo's rules".into(),
            kafka: None,
            otlp: None,
            imports: flowsight_web::imports::Imports::default(),
        },
        IngestLimits::default(),
    );
    let orders = std::env::var("FLOWSIGHT_BENCH_ORDERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(Scenario::default().orders);
    let flow = generate(&Scenario {
        orders,
        ..Scenario::default()
    });

    runtime.block_on(async {
        let bodies: Vec<String> = flow
            .events
            .chunks(1_000)
            .map(|batch| batch.iter().map(|e| serde_json::to_string(e).unwrap() + "\n").collect())
            .collect();
        let start = Instant::now();
        for body in bodies {
            let (status, _) = call(&router, Request::post("/api/events").body(Body::from(body)).unwrap()).await;
            assert_eq!(status, 200);
        }
        let elapsed = start.elapsed();
        println!(
            "bench http_ingest  {} events in batches of 1000, durable (SQLite WAL, synchronous=FULL): {:.2} s ({:.0} events/s)",
            flow.events.len(),
            elapsed.as_secs_f64(),
            flow.events.len() as f64 / elapsed.as_secs_f64()
        );

        let demo = [
            "/map", "/map?activities=40&paths=30", "/map?mode=performance", "/map?metric=p95&steps=events",
            "/api/map.svg", "/instances", "/instances?q=4711", "/instances?status=stuck", "/instances/1",
            "/variants", "/bottlenecks", "/charts", "/compare?split=2026-01-07",
            "/map?absent=PaymentFailedEvent", "/map?activity=RetrievePaymentCommand&min_duration=1h",
            "/map?from=2026-01-06&to=2026-01-06", "/map?key=order%3D4711",
            "/variants?edge=FetchGoodsCommand%3EGoodsFetchedEvent", "/bottlenecks?max_duration=30m",
            "/instances?absent=PaymentFailedEvent&min_duration=1h", "/charts?activity=PaymentFailedEvent",
            "/api/instances?edge=FetchGoodsCommand%3EGoodsFetchedEvent&limit=1000",
            "/export/dfg.csv", "/export/instances.csv", "/export/cases-over-time.csv?absent=PaymentFailedEvent",
            "/map?status=stuck", "/variants?status=completed&absent=PaymentFailedEvent",
            "/map?attribute=attempt%3D2", "/instances?attribute=carrier%3Dparcel",
            "/map?notion=payment", "/map?notion=%2A&activity=PaymentFailedEvent",
            "/map?notion=order", "/map?notion=%2A", "/map?notion=payment&activities=40&paths=30",
            "/map?notion=shipment&status=completed", "/map?notion=%2A&from=2026-01-06&to=2026-01-06",
            "/map?notion=%2A&status=completed", "/map?notion=%2A&activities=40",
            "/map?notion=%2A&activities=40&status=completed", "/map?notion=%2A&mode=performance&metric=median",
            "/map?notion=%2A&attribute=carrier%3Dparcel&activities=40",
            "/map?notion=%2A&from=2026-04-01", "/map?notion=%2A&from=2026-04-01&activities=40",
            "/map?notion=%2A&from=2026-03-01&activities=40", "/map?notion=%2A&from=2026-02-01&activities=40",
            "/map?notion=%2A&from=2026-02-01&to=2026-06-10&activities=40",
            "/map?notion=%2A&from=2026-03-01&to=2026-05-01&activities=40",
            "/map?notion=payment&from=2026-03-01&to=2026-05-01&activities=40",
        ];
        time_pages(&router, "demo", &demo).await;
        if let Some((_dir, bpic)) = bpic_router() {
            let bpic_pages = [
                "/map", "/map?mode=performance", "/variants", "/bottlenecks", "/instances", "/charts",
                "/compare?split=2012-01-01", "/map?absent=A_DECLINED", "/map?activity=O_ACCEPTED&min_duration=7d",
                "/map?from=2011-11-01&to=2011-11-30", "/variants?edge=A_SUBMITTED%3EA_PARTLYSUBMITTED",
                "/bottlenecks?max_duration=1d", "/instances?activity=O_ACCEPTED&absent=W_Valideren%20aanvraag",
                "/api/instances?min_duration=30d&limit=1000", "/export/dfg.csv?absent=A_DECLINED",
                "/map?status=running", "/map?attribute=org:resource%3D10138",
            ];
            time_pages(&bpic, "bpic2012", &bpic_pages).await;
        }
        storm(&router).await;
    });
}

/// The median and longest of [`RUNS`] answers to each of `paths`, against the 300 ms target.
async fn time_pages(router: &axum::Router, data: &str, paths: &[&str]) {
    for path in paths {
        let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
        let mut size = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let (status, len) =
                call(router, Request::get(*path).body(Body::empty()).unwrap()).await;
            times.push(t.elapsed());
            assert_eq!(status, 200, "{path}");
            size = len;
        }
        times.sort();
        println!(
            "bench page {data} {path:<56} median {:>7.1} ms  max {:>7.1} ms  ({size} bytes){}",
            times[RUNS / 2].as_secs_f64() * 1e3,
            times[RUNS - 1].as_secs_f64() * 1e3,
            if times[RUNS / 2] > Duration::from_millis(300) {
                "  OVER 300 ms TARGET"
            } else {
                ""
            }
        );
    }
}

/// The app over BPI Challenge 2012 imported into an embedded store, when the shared fixtures
/// are at hand (`FLOWSIGHT_SHARED`).
fn bpic_router() -> Option<(tempfile::TempDir, axum::Router)> {
    let shared = std::env::var("FLOWSIGHT_SHARED").ok()?;
    let path = std::path::Path::new(&shared).join("fixtures/xes/bpic2012.xes.gz");
    if !path.exists() {
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(EmbeddedStore::open(dir.path(), Default::default()).expect("store"));
    let options = collector::sources::files::ImportOptions::default();
    let report = collector::sources::files::import_file(
        store.as_ref(),
        &path,
        "bpic2012.xes.gz",
        &options,
        |f| Box::new(f),
    )
    .expect("BPIC 2012 imports");
    println!("bench bpic2012 imported: {report:?}");
    let router = app(
        AppState {
            store,
            config: Arc::new(CollectorConfig::default()),
            rules_origin: "none".into(),
            kafka: None,
            otlp: None,
            imports: flowsight_web::imports::Imports::default(),
        },
        IngestLimits::default(),
    );
    Some((dir, router))
}

/// 1,000 map requests at once, and one event posted while they run.
async fn storm(router: &axum::Router) {
    const REQUESTS: usize = 1_000;
    let start = Instant::now();
    let maps: Vec<_> = (0..REQUESTS)
        .map(|_| {
            let router = router.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let (status, _) =
                    call(&router, Request::get("/map").body(Body::empty()).unwrap()).await;
                assert_eq!(status, 200);
                t.elapsed()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let event = r#"{"type":"OrderPlacedEvent","id":"storm-1","time":"2026-01-05T08:00:00Z","data":{"orderId":"storm-1"}}"#;
    let t = Instant::now();
    let (status, _) = call(
        router,
        Request::post("/api/events")
            .body(Body::from(event))
            .unwrap(),
    )
    .await;
    let post = t.elapsed();
    assert_eq!(status, 200);
    let mut times = Vec::with_capacity(REQUESTS);
    for m in maps {
        times.push(m.await.expect("map request"));
    }
    times.sort();
    println!(
        "bench storm {REQUESTS} parallel /map: p50 {:.2} s, p99 {:.2} s, max {:.2} s, all in {:.2} s; one event posted meanwhile in {:.0} ms{}",
        times[REQUESTS / 2].as_secs_f64(),
        times[REQUESTS * 99 / 100].as_secs_f64(),
        times[REQUESTS - 1].as_secs_f64(),
        start.elapsed().as_secs_f64(),
        post.as_secs_f64() * 1e3,
        if times[REQUESTS * 99 / 100] > Duration::from_secs(5) || post > Duration::from_secs(1) { "  OVER TARGET" } else { "" }
    );
}
