//! Comparing two periods finds a change the generator makes between them: from order 601 on,
//! six in ten orders (instead of one in ten) wait hours for their goods, so the injected
//! bottleneck's path costs far more time per case after the split than before, and no other
//! path changes as much. The sets compared are those the instance list gives for the same
//! periods; two filter sets compare alike; a request without sets is told what to give.

mod support;

use fixtures::{Change, Scenario, ORDER_FLOW_CONFIG};
use miner::time::format_timestamp;

async fn get_json(router: &axum::Router, uri: &str) -> serde_json::Value {
    let (status, body) = support::get(router, uri).await;
    assert!(status.is_success(), "{uri}: {status}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn encode(text: &str) -> String {
    text.replace(':', "%3A")
        .replace('+', "%2B")
        .replace('=', "%3D")
        .replace('&', "%26")
}

#[tokio::test]
async fn comparing_the_periods_around_a_change_finds_the_path_it_slowed() {
    let scenario = Scenario {
        orders: 1_200,
        change: Some(Change {
            from_order: 601,
            slow_fetch_share: 0.6,
        }),
        ..Scenario::default()
    };
    let (_dir, _store, router, truth) = support::served_scenario(ORDER_FLOW_CONFIG, &scenario);
    let first = get_json(&router, "/api/instances?key=order%3D601").await;
    let split = format_timestamp(first["instances"][0]["first_event"].as_i64().unwrap());
    let answer = get_json(
        &router,
        &format!("/export/compare.json?split={}", encode(&split)),
    )
    .await;
    let before = get_json(
        &router,
        &format!("/api/instances?to={}&limit=1", encode(&split)),
    )
    .await;
    let after = get_json(
        &router,
        &format!("/api/instances?from={}&limit=1", encode(&split)),
    )
    .await;
    assert_eq!(answer["before"]["cases"], before["total"]);
    assert_eq!(answer["after"]["cases"], after["total"]);

    let top = &answer["paths"][0];
    let (from, to) = &truth.bottleneck;
    assert_eq!(
        (top["from"].as_str().unwrap(), top["to"].as_str().unwrap()),
        (from.as_str(), to.as_str())
    );
    let change = top["time_change_per_case_s"].as_f64().unwrap();
    assert!(change > 3_600.0, "an hour or more a case: {change}");
    let next = answer["paths"][1]["time_change_per_case_s"]
        .as_f64()
        .unwrap();
    assert!(
        next.abs() * 4.0 < change,
        "no other path changes as much: {next}"
    );

    let svg = support::get(&router, &format!("/compare?split={}", encode(&split)))
        .await
        .1;
    let marked = format!("data-from=\"{from}\" data-to=\"{to}\" data-count=");
    let at = svg.find(&marked).expect("the path is drawn");
    let tag = &svg[at..at + svg[at..].find('>').unwrap()];
    assert!(tag.contains("data-time-change=\""), "{tag}");
    assert!(svg.contains("Paths whose time per case changed most"));

    let sets = format!(
        "a={}&b={}",
        encode(&format!("to={split}")),
        encode(&format!("from={split}"))
    );
    let same = get_json(&router, &format!("/export/compare.json?{sets}")).await;
    assert_eq!(
        same["paths"], answer["paths"],
        "two filter sets compare as the split does"
    );
    let csv = support::get(
        &router,
        &format!("/export/compare.csv?split={}", encode(&split)),
    )
    .await
    .1;
    assert!(csv
        .lines()
        .nth(1)
        .unwrap()
        .starts_with(&format!("{from},{to},")));

    let (status, body) = support::get(&router, "/export/compare.json").await;
    assert_eq!(status, 400);
    assert!(body.contains("give split=DATE"), "{body}");
    let (status, body) = support::get(
        &router,
        "/export/compare.json?a=edge%3DX&b=from%3D2026-01-01",
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("a: edge:"),
        "the set and its parameter are named: {body}"
    );
}
