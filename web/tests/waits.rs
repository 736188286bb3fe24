//! Where instances wait, checked against the generator's ground truth: every injected stuck
//! order is flagged stuck at the step it stopped at, no completed one is, and the per-step
//! gauges of `/metrics`, the instance list's "stuck at step" filter and the instance page
//! agree with it — with `stuck_after` for every step, a per-step service level, and limits
//! learned from history. Ended orders carry their outcome apart from their status.

mod support;

use collector::store::{CaseFilter, EmbeddedStore, InstanceQuery, InstanceStatus, StoreRead};
use fixtures::{GroundTruth, OrderOutcome, ORDER_FLOW_CONFIG};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A store of 1,500 generated orders judged by `config`, the router over it, and the truth.
fn served(
    config: &str,
) -> (
    tempfile::TempDir,
    Arc<EmbeddedStore>,
    axum::Router,
    GroundTruth,
) {
    support::served_orders(config, 1_500)
}

async fn get(router: &axum::Router, uri: &str) -> String {
    let (status, body) = support::get(router, uri).await;
    assert!(status.is_success(), "{uri}: {status}");
    body
}

/// The stuck instances (label → the step each stands at).
fn stuck(store: &EmbeddedStore) -> BTreeMap<String, String> {
    store
        .instances(&InstanceQuery {
            cases: CaseFilter::in_status(InstanceStatus::Stuck),
            limit: 100_000,
            ..Default::default()
        })
        .unwrap()
        .instances
        .into_iter()
        .map(|i| (i.label, i.last_activity))
        .collect()
}

/// Injected stuck orders (label → the step each stopped at), and the completed ones.
fn truth_sets(truth: &GroundTruth) -> (BTreeMap<String, String>, BTreeSet<String>) {
    let label = |id: &str| format!("order={id}");
    let stuck = truth
        .orders
        .iter()
        .filter(|o| o.outcome == OrderOutcome::Stuck)
        .map(|o| (label(&o.order_id), o.activities.last().unwrap().clone()))
        .collect();
    let ended = truth
        .orders
        .iter()
        .filter(|o| matches!(o.outcome, OrderOutcome::Completed | OrderOutcome::Cancelled))
        .map(|o| label(&o.order_id))
        .collect();
    (stuck, ended)
}

/// The value of `name{step="…"}` in a Prometheus text, per step.
fn by_step(text: &str, name: &str) -> BTreeMap<String, f64> {
    let prefix = format!("{name}{{step=\"");
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|rest| {
            let (step, value) = rest.split_once("\"} ").unwrap();
            (step.to_string(), value.parse().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn every_injected_stuck_order_is_flagged_at_its_step_and_no_ended_one_is() {
    let (_dir, store, router, truth) = served(ORDER_FLOW_CONFIG);
    let (injected, ended) = truth_sets(&truth);
    assert!(injected.len() >= 5, "the scenario injects stuck orders");
    assert_eq!(
        stuck(&store),
        injected,
        "stuck_after = 12h, as the generator judges"
    );

    let metrics = get(&router, "/metrics").await;
    let breaching = by_step(&metrics, "flowsight_step_instances_breaching");
    let mut expected: BTreeMap<String, f64> = BTreeMap::new();
    for step in injected.values() {
        *expected.entry(step.clone()).or_default() += 1.0;
    }
    let flagged: BTreeMap<String, f64> = breaching.into_iter().filter(|(_, n)| *n > 0.0).collect();
    assert_eq!(flagged, expected);
    let limits = by_step(&metrics, "flowsight_step_wait_limit_seconds");
    assert!(limits.values().all(|&s| s == 12.0 * 3600.0), "{limits:?}");
    assert!(metrics.contains("flowsight_clock_seconds{clock=\"newest_event\"}"));
    assert!(!ended.iter().any(|e| injected.contains_key(e)));

    // Outcome is apart from status: cancelled orders have ended, but not as completed ones.
    let count =
        |outcome: OrderOutcome| truth.orders.iter().filter(|o| o.outcome == outcome).count();
    for (outcome, step, expected) in [
        (
            "cancelled",
            "OrderCancelledEvent",
            count(OrderOutcome::Cancelled),
        ),
        (
            "completed",
            "OrderCompletedEvent",
            count(OrderOutcome::Completed),
        ),
    ] {
        let series = format!(
            "flowsight_instances_ended{{outcome=\"{outcome}\",step=\"{step}\"}} {expected}\n"
        );
        assert!(expected > 0 && metrics.contains(&series), "{series}");
    }
    let cancelled = truth
        .orders
        .iter()
        .find(|o| o.outcome == OrderOutcome::Cancelled)
        .unwrap();
    let page = get(
        &router,
        &format!("/api/instances?q=order={}", cancelled.order_id),
    )
    .await;
    let id =
        serde_json::from_str::<serde_json::Value>(&page).unwrap()["instances"][0]["id"].clone();
    let detail = get(&router, &format!("/instances/{id}")).await;
    assert!(detail.contains("ended: cancelled") && detail.contains("status completed"));

    // The list of those stuck at one step, longest waiting first, names them all.
    let (step, count) = expected.iter().next().unwrap();
    let page = get(
        &router,
        &format!("/instances?status=stuck&at={}&sort=waiting", step),
    )
    .await;
    let listed = page.matches("class=\"status stuck\"").count();
    assert_eq!(listed as f64, *count);
    for (label, at) in &injected {
        if at == step {
            assert!(
                page.contains(&format!(">{label}</a>")),
                "{label} missing at {step}"
            );
        }
    }
    assert!(page.contains("id=\"standings\""));

    // One stuck order's page says where it waits, since when and by how much it is over.
    let first = store
        .instances(&InstanceQuery {
            cases: CaseFilter::in_status(InstanceStatus::Stuck),
            ..Default::default()
        })
        .unwrap()
        .instances[0]
        .clone();
    let detail = get(&router, &format!("/instances/{}", first.id)).await;
    assert!(
        detail.contains(&format!("Waits after <b>{}</b>", first.last_activity)),
        "{detail}"
    );
    assert!(detail.contains("id=\"breach\""));
    assert!(detail.contains("measured against the newest event"));
}

#[tokio::test]
async fn a_step_with_its_own_service_level_is_judged_by_it() {
    let (_dir, store, router, truth) = served(ORDER_FLOW_CONFIG);
    let (injected, _) = truth_sets(&truth);
    // The longest-waiting running order, and a service level for its step shorter than its wait.
    let running = store
        .instances(&InstanceQuery {
            cases: CaseFilter::in_status(InstanceStatus::Running),
            order: collector::store::InstanceOrder::LongestWaiting,
            limit: 1,
            ..Default::default()
        })
        .unwrap()
        .instances
        .remove(0);
    let overview = store.overview().unwrap();
    let waited = overview.clock.now - running.last_event;
    assert!(
        waited > 60_000_000,
        "the oldest running order waited over a minute"
    );
    let config = format!(
        "{ORDER_FLOW_CONFIG}\n[[tracking.sla]]\nstep = \"{}\"\nwithin = \"{}s\"\n",
        running.last_activity,
        waited / 1_000_000 / 2
    );
    drop((store, router));
    let (_dir, store, router, _) = served(&config);
    let now_stuck = stuck(&store);
    assert_eq!(
        now_stuck.get(&running.label),
        Some(&running.last_activity),
        "past its step's own limit"
    );
    assert!(injected.iter().all(|(l, s)| now_stuck.get(l) == Some(s)));
    let metrics = get(&router, "/metrics").await;
    let limits = by_step(&metrics, "flowsight_step_wait_limit_seconds");
    assert_eq!(
        limits[&running.last_activity],
        (waited / 1_000_000 / 2) as f64
    );
}

#[tokio::test]
async fn learned_limits_flag_every_injected_stuck_order_and_no_ended_one() {
    let config = ORDER_FLOW_CONFIG.replace("stuck_after = \"12h\"\n", "");
    assert_ne!(config, ORDER_FLOW_CONFIG);
    let (_dir, store, router, truth) = served(&config);
    let (injected, ended) = truth_sets(&truth);
    let flagged = stuck(&store);
    for (label, step) in &injected {
        assert_eq!(flagged.get(label), Some(step), "{label} stuck at {step}");
    }
    assert!(!flagged.keys().any(|l| ended.contains(l)));
    let page = get(&router, "/instances?status=stuck").await;
    assert!(
        page.contains("learned: p95 of"),
        "the page says where limits come from"
    );
}

/// A sequence model of the happy path: placed, paid at the first try, fetched, shipped,
/// completed.
const HAPPY_PATH: [&str; 8] = [
    "OrderPlacedEvent",
    "RetrievePaymentCommand",
    "PaymentReceivedEvent",
    "FetchGoodsCommand",
    "GoodsFetchedEvent",
    "ShipGoodsCommand",
    "GoodsShippedEvent",
    "OrderCompletedEvent",
];

fn happy_path_bpmn() -> String {
    let tasks: String = HAPPY_PATH
        .iter()
        .map(|t| format!(r#"<task id="{t}" name="{t}"/>"#))
        .collect();
    let mut nodes = vec!["start"];
    nodes.extend(HAPPY_PATH);
    nodes.push("end");
    let flows: String = nodes
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            format!(
                r#"<sequenceFlow id="f{i}" sourceRef="{}" targetRef="{}"/>"#,
                w[0], w[1]
            )
        })
        .collect();
    format!(
        r#"<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p"><startEvent id="start"/>{tasks}<endEvent id="end"/>{flows}</process></definitions>"#
    )
}

#[tokio::test]
async fn deviating_instances_are_listed_and_counted_by_step_in_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("happy.bpmn");
    std::fs::write(&model, happy_path_bpmn()).unwrap();
    let config = format!(
        "{ORDER_FLOW_CONFIG}\n[tracking]\nmodel = {:?}\n",
        model.display().to_string()
    );
    let (_store_dir, _store, router, truth) = served(&config);
    // Orders whose payment was retried left the happy path (and cancelled ones with them);
    // the others follow it, finished or not.
    let retried: BTreeSet<String> = truth
        .orders
        .iter()
        .filter(|o| o.payment_retried)
        .map(|o| format!("order={}", o.order_id))
        .collect();
    assert!(retried.len() > 20);
    let listed: serde_json::Value =
        serde_json::from_str(&get(&router, "/api/instances?deviating=1&limit=1000").await).unwrap();
    let labels: BTreeSet<String> = listed["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(labels, retried);
    assert_eq!(listed["total"], retried.len());

    let metrics = get(&router, "/metrics").await;
    let deviating = by_step(&metrics, "flowsight_step_instances_deviating");
    assert_eq!(
        deviating.get("RetrievePaymentCommand"),
        Some(&(retried.len() as f64)),
        "{deviating:?}"
    );
    let page = get(&router, "/instances?deviating=1").await;
    assert!(
        page.contains(&format!(
            "{} instances deviating from the model",
            retried.len()
        )),
        "the summary says what is listed"
    );
    assert!(page.contains(r#"name="deviating" value="1" checked"#));
}
