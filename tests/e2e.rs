//! End to end: start `flowsight serve` on a temporary store, POST generated events over HTTP,
//! and read the map, instances and bottlenecks back, checked against what the generator injected.

mod support;

use fixtures::{generate, OrderOutcome, Scenario};
use std::time::Duration;
use support::{get, get_json, start};

#[test]
fn served_views_match_the_injected_behaviour() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::root().join("fixtures/order-flow.toml");
    let server = start(
        &[
            "serve",
            "--store",
            dir.path().to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--otlp-http",
            "127.0.0.1:0",
            "--otlp-grpc",
            "127.0.0.1:0",
        ],
        "listening on",
    );
    let flow = generate(&Scenario {
        orders: 2_000,
        seed: 7,
        ..Scenario::default()
    });
    let truth = &flow.truth;
    for batch in flow.events.chunks(900) {
        let mut response = ureq::post(&format!("{}/api/events", server.url))
            .send_json(batch)
            .expect("ingest accepts the batch");
        let answer: serde_json::Value = response.body_mut().read_json().unwrap();
        assert_eq!(
            answer["accepted"].as_u64(),
            Some(batch.len() as u64),
            "{answer}"
        );
    }

    let overview = get_json(&server, "/api/overview");
    assert_eq!(overview["events"].as_u64(), Some(flow.events.len() as u64));
    assert_eq!(
        overview["instances"].as_u64(),
        Some(truth.orders.len() as u64)
    );
    assert_eq!(overview["uncorrelated"].as_u64(), Some(0));
    let by_status: Vec<u64> = serde_json::from_value(overview["by_status"].clone()).unwrap();
    let ended = truth.count(OrderOutcome::Completed) + truth.count(OrderOutcome::Cancelled);
    assert_eq!(
        by_status,
        [
            ended as u64,
            truth.count(OrderOutcome::Running) as u64,
            truth.count(OrderOutcome::Stuck) as u64
        ]
    );

    // The map draws every activity of the flow.
    let map = get(&server, "/map");
    let activities: std::collections::BTreeSet<&str> = truth
        .orders
        .iter()
        .flat_map(|o| o.activities.iter().map(String::as_str))
        .collect();
    for a in &activities {
        assert!(
            map.contains(&format!("data-activity=\"{a}\"")),
            "map shows {a}"
        );
    }

    // The DFG export counts the bottleneck edge exactly as often as it was generated.
    let (from, to) = (&truth.bottleneck.0, &truth.bottleneck.1);
    let expected = truth
        .orders
        .iter()
        .map(|o| {
            o.activities
                .windows(2)
                .filter(|w| &w[0] == from && &w[1] == to)
                .count()
        })
        .sum::<usize>();
    let dfg = get_json(&server, "/export/dfg.json");
    let edge = dfg["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["from"] == **from && e["to"] == **to)
        .unwrap();
    assert_eq!(edge["count"].as_u64(), Some(expected as u64));

    // The injected bottleneck comes out on top, by total and by 95th percentile.
    let b = get_json(&server, "/export/bottlenecks.json");
    for ranking in ["by_total", "by_p95"] {
        let top = &b[ranking][0];
        assert_eq!(
            (top["from"].as_str().unwrap(), top["to"].as_str().unwrap()),
            (from.as_str(), to.as_str()),
            "{ranking}"
        );
    }
    let report = get(&server, "/export/report.html?mode=performance");
    assert!(report.contains("<svg") && report.contains(&format!("<td>{from}</td><td>{to}</td>")));
    assert!(report.contains(&format!("<b>{}</b>instances", truth.orders.len())));
    let page = get(&server, "/bottlenecks");
    assert!(page.find(from.as_str()).unwrap() < page.find("ShipGoodsCommand").unwrap());

    // Any order can be found by its id and shows its events in order.
    let order = truth
        .orders
        .iter()
        .find(|o| o.payment_retried && o.outcome == OrderOutcome::Completed)
        .unwrap();
    let found = get_json(
        &server,
        &format!("/export/instances.json?q=order%3D{}", order.order_id),
    );
    assert_eq!(found["total"], 1);
    let instance = &found["instances"][0];
    assert_eq!(instance["status"], "completed");
    assert_eq!(
        instance["events"].as_u64(),
        Some(order.activities.len() as u64)
    );
    let detail = get(&server, &format!("/instances/{}", instance["id"]));
    let mut at = 0;
    for a in &order.activities {
        let pos = detail[at..]
            .find(&format!("<b>{a}</b>"))
            .unwrap_or_else(|| panic!("{a} after position {at}"));
        at += pos + 1;
    }
    let listed = get(&server, &format!("/instances?q={}", order.order_id));
    assert!(listed.contains(&format!("order={}", order.order_id)));
    let stuck = get_json(&server, "/export/instances.json?status=stuck");
    assert_eq!(
        stuck["total"].as_u64(),
        Some(truth.count(OrderOutcome::Stuck) as u64)
    );
    drills_down_to_the_orders_behind_a_number(&server, truth);
}

/// From an activity, a path and a variant to the instances behind them: the API, the list
/// and the links of the variants and bottlenecks pages select exactly the generated orders
/// with those steps.
fn drills_down_to_the_orders_behind_a_number(
    server: &support::Server,
    truth: &fixtures::GroundTruth,
) {
    let orders_where = |has: &dyn Fn(&[String]) -> bool| {
        let mut ids: Vec<String> = truth
            .orders
            .iter()
            .filter(|o| has(&o.activities))
            .map(|o| format!("order={}", o.order_id))
            .collect();
        ids.sort();
        ids
    };
    let listed = |query: &str| {
        let answer = get_json(server, &format!("/api/instances?{query}&limit=1000"));
        let mut labels: Vec<String> = answer["instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect();
        labels.sort();
        assert_eq!(
            answer["total"].as_u64(),
            Some(labels.len() as u64),
            "{query}"
        );
        labels
    };
    // The rarest activity, and the path from the first activity of a retried payment's order.
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for order in &truth.orders {
        for a in order
            .activities
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
        {
            *counts.entry(a.as_str()).or_default() += 1;
        }
    }
    let (rare, _) = counts.iter().min_by_key(|(_, &n)| n).unwrap();
    let expected = orders_where(&|acts| acts.iter().any(|a| a == rare));
    assert!(!expected.is_empty() && expected.len() < truth.orders.len());
    assert_eq!(listed(&format!("activity={rare}")), expected);
    let sample = &truth
        .orders
        .iter()
        .find(|o| o.payment_retried)
        .unwrap()
        .activities;
    let (from, to) = (&sample[1], &sample[2]);
    let on_path = orders_where(&|acts| acts.windows(2).any(|w| w[0] == *from && w[1] == *to));
    assert_eq!(listed(&format!("edge={from}%3E{to}")), on_path);
    let variant = orders_where(&|acts| acts == sample.as_slice());
    let joined = sample
        .join(" → ")
        .replace(' ', "%20")
        .replace('→', "%E2%86%92");
    assert_eq!(listed(&format!("variant={joined}")), variant);
    // Repeated conditions: each activity and each path given, none of the absent ones.
    let has = |acts: &[String], a: &str| acts.iter().any(|x| x == a);
    let names: Vec<&str> = counts.keys().copied().collect();
    // Two activities and a third that splits the instances having both (at most a page).
    let names = &names;
    let (a, b, c) = names
        .iter()
        .flat_map(|&a| {
            names
                .iter()
                .flat_map(move |&b| names.iter().map(move |&c| (a, b, c)))
        })
        .find(|&(a, b, c)| {
            let both = orders_where(&|acts| has(acts, a) && has(acts, b)).len();
            let split = orders_where(&|acts| has(acts, a) && has(acts, b) && !has(acts, c)).len();
            a != b && 0 < split && split < both && split <= 1000
        })
        .expect("activities that split the instances");
    let expected = orders_where(&|acts| has(acts, a) && has(acts, b) && !has(acts, c));
    assert_eq!(
        listed(&format!("activity={a}&absent={c}&activity={b}").replace(' ', "%20")),
        expected
    );
    let (next_from, next_to) = (&sample[2], &sample[3]);
    let on_both_paths = orders_where(&|acts| {
        [(from, to), (next_from, next_to)]
            .iter()
            .all(|(x, y)| acts.windows(2).any(|w| w[0] == **x && w[1] == **y))
    });
    assert!(!on_both_paths.is_empty() && on_both_paths.len() <= on_path.len());
    assert_eq!(
        listed(&format!("edge={from}%3E{to}&edge={next_from}%3E{next_to}").replace(' ', "%20")),
        on_both_paths
    );
    // The pages link there.
    let bottlenecks = get(server, "/bottlenecks");
    assert!(
        bottlenecks.contains(&format!("/instances?edge={from}%3E{to}")),
        "a path's link"
    );
    let page = get(server, &format!("/instances?edge={from}%3E{to}"));
    assert!(
        page.contains(&format!("{} instances", on_path.len())),
        "the list counts them"
    );
    assert!(get(server, "/variants").contains("/instances?variant="));
    let bad = ureq::get(&format!("{}/api/instances?edge=nopath", server.url))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[test]
fn demo_ingests_over_http_and_serves_the_ui() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        &[
            "demo",
            "--orders",
            "300",
            "--store",
            dir.path().to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--otlp-http",
            "127.0.0.1:0",
            "--otlp-grpc",
            "127.0.0.1:0",
        ],
        "demo ready",
    );
    assert!(support::eventually(Duration::from_secs(5), || get_json(
        &server,
        "/api/overview"
    )["instances"]
        == 300));
    let map = get(&server, "/map");
    assert!(map.contains("data-activity=\"OrderPlacedEvent\""));
    assert!(dir.path().join("flowsight.db").exists());

    // Served again without a configuration, the store shows the same numbers: the demo's
    // rules were saved with it. (The clock moves on: it is the wall clock for live data.)
    let overview = |server: &support::Server| {
        let mut o = get_json(server, "/api/overview");
        assert_eq!(o["clock"]["kind"], "wall", "the demo's data ends now");
        o.as_object_mut().unwrap().remove("clock");
        o
    };
    let shown = overview(&server);
    drop(server);
    let again = serve(dir.path());
    assert_eq!(overview(&again), shown);
    assert!(get(&again, "/sources").contains("rules in force: the rules saved with the store"));
}

#[test]
fn a_page_with_a_bad_address_answers_with_a_page_in_the_layout() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    for (path, status, says) in [
        (
            "/instances?page=abc",
            400,
            "bad value for page: it must be a whole number",
        ),
        (
            "/instances/abc",
            400,
            "“abc” in the address is not a number",
        ),
        ("/no/such/page", 404, "There is no page at /no/such/page"),
        (
            "/instances?page=18446744073709551615",
            400,
            "page 18446744073709551615 is out of range",
        ),
    ] {
        let response = ureq::get(&format!("{}{path}", server.url))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{path}");
        let page = response.into_body().read_to_string().unwrap();
        assert!(
            page.contains(says) && page.contains("href=\"/map\""),
            "{path}: {page}"
        );
        assert!(!page.contains("Failed to deserialize") && !page.contains("Cannot parse"));
    }
    let response = ureq::get(&format!("{}/map", server.url)).call().unwrap();
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
}

/// `flowsight serve` on the store in `dir`, without a configuration or OTLP ports.
fn serve(dir: &std::path::Path) -> support::Server {
    serve_with(dir, &[])
}

/// The demo's rules file.
const ORDER_FLOW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/order-flow.toml");

/// `flowsight serve` on the store in `dir` without OTLP ports, with `more` arguments.
fn serve_with(dir: &std::path::Path, more: &[&str]) -> support::Server {
    let mut args = vec![
        "serve",
        "--store",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--no-otlp-ports",
    ];
    args.extend_from_slice(more);
    start(&args, "listening on")
}

#[test]
fn control_characters_in_names_leave_every_xml_export_valid() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(dir.path(), &["--config", ORDER_FLOW]);
    let hostile = [
        serde_json::json!({"type": "Pay\u{0}ment\u{7}\u{1b}[31m", "id": "h1", "source": "svc\u{1}",
                           "time": "2026-01-05T08:00:00Z", "data": {"orderId": "h", "note": "bell\u{7}"}}),
        serde_json::json!({"type": "Ship <&> \"it\"", "id": "h2", "source": "svc",
                           "time": "2026-01-05T09:00:00Z", "data": {"orderId": "h"}}),
        serde_json::json!({"type": "=HYPERLINK(\"http://x\",\"y\")", "id": "h3", "source": "@evil",
                           "time": "2026-01-05T10:00:00Z", "data": {"orderId": "h"}}),
    ];
    ureq::post(&format!("{}/api/events", server.url))
        .send_json(&hostile)
        .unwrap();
    for export in ["map.svg", "model.bpmn", "log.xes"] {
        let text = get(&server, &format!("/export/{export}"));
        assert!(!text.contains(['\u{0}', '\u{7}']), "{export}");
        let mut reader = quick_xml::Reader::from_str(&text);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{export} is not well-formed XML: {e}"),
            }
        }
    }
    // CSV cells a spreadsheet would run as formulas get a leading ', unless raw is asked for.
    for export in ["log.csv", "dfg.csv", "bottlenecks.csv"] {
        let csv = get(
            &server,
            &format!("/export/{export}?activities=100&paths=100"),
        );
        assert!(csv.contains("\"'=HYPERLINK("), "{export}: {csv}");
        assert!(
            !csv.contains(",\"=HYPERLINK(") && !csv.starts_with("\"=HYPERLINK("),
            "{export}"
        );
        let raw = get(
            &server,
            &format!("/export/{export}?activities=100&paths=100&cells=raw"),
        );
        assert!(
            raw.contains("\"=HYPERLINK(") && !raw.contains("'=HYPERLINK"),
            "{export}"
        );
    }
    assert!(get(&server, "/export/log.csv").contains(",'@evil,"));
    let png = ureq::get(&format!("{}/export/map.png", server.url))
        .call()
        .unwrap();
    assert_eq!(png.status(), 200);
}

/// The download route and `flowsight export` read one table of exports: every export in it
/// gives the same bytes either way, with the same filters (the report, which carries the time
/// it was made, is left out).
#[test]
fn every_export_downloads_as_the_command_line_writes_it() {
    use web::reports::table::{cli_name, EXPORTS};
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let log = support::shared("xes/running-example.xes");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_flowsight"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&["import", "--store", store, &log]);
    let filters = [("absent", "reject request")];
    let exports: Vec<_> = EXPORTS
        .iter()
        .filter(|e| e.file != "report.html")
        .map(|e| {
            let mut args = vec![
                "export".to_string(),
                cli_name(e.what),
                "--format".into(),
                cli_name(e.format),
                "--store".into(),
                store.into(),
            ];
            for (name, value) in filters {
                args.extend([format!("--{name}"), value.to_string()]);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            (e.file, run(&args))
        })
        .collect();
    let server = start(
        &[
            "serve",
            "--store",
            store,
            "--listen",
            "127.0.0.1:0",
            "--no-otlp-ports",
        ],
        "listening on",
    );
    let query: Vec<String> = filters
        .iter()
        .map(|(name, value)| format!("{name}={}", value.replace(' ', "+")))
        .collect();
    for (file, written) in exports {
        let url = format!("{}/export/{file}?{}", server.url, query.join("&"));
        let mut response = ureq::get(&url)
            .call()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let downloaded = response.body_mut().read_to_vec().unwrap();
        assert!(!written.is_empty(), "{file}");
        assert!(
            downloaded == written,
            "{file}: the download differs from the command line's"
        );
    }
}
