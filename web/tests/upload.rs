//! The import page: uploading a real XES log stores it; a CSV without a column mapping is
//! refused with a message naming what is missing, and nothing is stored.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use collector::sources::http::IngestLimits;
use collector::store::{EmbeddedStore, StoreRead};
use collector::CollectorConfig;
use flowsight_web::imports::Imports;
use flowsight_web::{app, AppState};
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

const BOUNDARY: &str = "flowsight-test-boundary";

fn multipart(file_name: &str, content: &[u8], fields: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend(content);
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post(router: &axum::Router, body: Vec<u8>) -> (StatusCode, String) {
    post_declaring(router, body, false).await
}

/// Posts `body` as an upload, with its Content-Length when `declared`.
async fn post_declaring(
    router: &axum::Router,
    body: Vec<u8>,
    declared: bool,
) -> (StatusCode, String) {
    let mut request = Request::post("/import").header(
        "content-type",
        format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if declared {
        request = request.header("content-length", body.len());
    }
    let request = request.body(Body::from(body)).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// The app over a new embedded store in `dir`, with the Import page's `imports` limits.
fn import_page(dir: &std::path::Path, imports: Imports) -> (Arc<EmbeddedStore>, axum::Router) {
    let store = Arc::new(EmbeddedStore::open(dir, Default::default()).unwrap());
    let state = AppState {
        store: store.clone(),
        config: Arc::new(CollectorConfig::default()),
        rules_origin: "no rules".into(),
        kafka: None,
        otlp: None,
        imports,
    };
    (store, app(state, IngestLimits::default()))
}

#[tokio::test]
async fn uploads_import_and_bad_ones_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let (store, router) = import_page(dir.path(), Imports::default());
    let shared = std::env::var_os("FLOWSIGHT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let xes = std::fs::read(shared.join("fixtures/xes/running-example.xes")).unwrap();

    let (status, page) = post(&router, multipart("running-example.xes", &xes, &[])).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains(
            "Imported running-example.xes: 42 events (42 new, 0 already stored) in 6 cases."
        ),
        "{page}"
    );
    assert_eq!(store.overview().unwrap().events, 42);

    let csv = b"case;activity;when\n1;a;2026-01-05 08:00:00\n";
    let (status, page) = post(&router, multipart("log.csv", csv, &[])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("log.csv: a CSV file needs a column mapping"),
        "{page}"
    );
    let (status, page) = post(
        &router,
        multipart(
            "log.csv",
            csv,
            &[
                ("case", "case"),
                ("activity", "activity"),
                ("timestamp", "when"),
            ],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(store.overview().unwrap().events, 43);

    let (status, page) = post(
        &router,
        multipart("broken.xes", b"<log><trace><event>", &[]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("broken.xes: invalid XES"), "{page}");

    // OCEL 2.0, whose encoding is told by the uploaded name (the temporary file has none).
    for file in [
        "ocel20_example.jsonocel",
        "ocel20_example.xmlocel",
        "ocel20_example.sqlite",
    ] {
        let ocel = std::fs::read(shared.join("fixtures/ocel").join(file)).unwrap();
        let (status, page) = post(&router, multipart(file, &ocel, &[])).await;
        assert_eq!(status, StatusCode::OK, "{file}: {page}");
        assert!(
            page.contains(&format!("Imported {file}: 13 events")),
            "{page}"
        );
    }
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_and_leaves_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let staging = tempfile::tempdir().unwrap();
    let imports = Imports::new(1024, 1, staging.path().to_path_buf());
    let (store, router) = import_page(dir.path(), imports);
    let big = multipart("big.xes", &[b' '; 4096], &[]);
    let (status, page) = post_declaring(&router, big.clone(), true).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("at most 0 MiB are accepted"), "{page}");
    let (status, page) = post_declaring(&router, big, false).await;
    assert_eq!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "cut off while streaming"
    );
    assert!(page.contains("big.xes is larger than"), "{page}");
    assert!(
        !page.contains(staging.path().to_str().unwrap()),
        "no path shown"
    );
    assert_eq!(std::fs::read_dir(staging.path()).unwrap().count(), 0);
    assert_eq!(store.overview().unwrap().events, 0);
}
