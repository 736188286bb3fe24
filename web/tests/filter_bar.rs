//! The filter bar selects the same instances on every page, API answer and export: for each
//! condition (time range, activity present or absent, a path, a case duration range, a key,
//! the status, an attribute value) and combinations, the instances each answer covers are exactly those the
//! condition selects in the unfiltered event log exported as XES.

mod support;

use fixtures::ORDER_FLOW_CONFIG;
use miner::formats::counted;
use miner::formats::xes::read_event_log;
use miner::time::{format_timestamp, Micros, DAY, SECOND};
use std::collections::BTreeSet;

/// One instance of the exported log: its name, activities and first and last times.
struct Case {
    name: String,
    activities: Vec<String>,
    first: Micros,
    last: Micros,
    times: Vec<Micros>,
}

fn served() -> (tempfile::TempDir, axum::Router) {
    let (dir, _, router, _) = support::served_orders(ORDER_FLOW_CONFIG, 600);
    (dir, router)
}

async fn get(router: &axum::Router, uri: &str) -> String {
    let (status, body) = support::get(router, uri).await;
    assert!(status.is_success(), "{uri}: {status}: {body}");
    body
}

/// The cases of an XES export.
fn cases(xes: &str) -> Vec<Case> {
    let (log, _) = read_event_log(xes.as_bytes()).unwrap();
    log.cases()
        .enumerate()
        .map(|(i, c)| {
            let times: Vec<Micros> = c.timestamps.iter().flatten().copied().collect();
            Case {
                name: c.name.to_string(),
                activities: log
                    .activity_names(i)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                first: *times.iter().min().unwrap(),
                last: *times.iter().max().unwrap(),
                times,
            }
        })
        .collect()
}

/// A filter's query string and what it selects, judged on the exported log.
type Check<'a> = (String, Box<dyn Fn(&Case) -> bool + 'a>);

fn names<'a>(cases: impl IntoIterator<Item = &'a Case>) -> BTreeSet<String> {
    cases.into_iter().map(|c| c.name.clone()).collect()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every answer under `query` covers exactly the instances named `expected`.
async fn every_answer_covers(router: &axum::Router, query: &str, expected: &BTreeSet<String>) {
    let n = expected.len() as u64;
    let xes = get(router, &format!("/export/log.xes?{query}")).await;
    let exported = cases(&xes);
    assert_eq!(&names(&exported), expected, "log.xes?{query}");
    let ocel: serde_json::Value =
        serde_json::from_str(&get(router, &format!("/export/log.jsonocel?{query}")).await).unwrap();
    let events: usize = exported.iter().map(|c| c.activities.len()).sum();
    assert_eq!(
        ocel["events"].as_array().unwrap().len(),
        events,
        "log.jsonocel?{query}"
    );
    let declared: BTreeSet<&str> = ocel["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    let related: BTreeSet<&str> = ocel["events"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["relationships"].as_array().unwrap())
        .map(|r| r["objectId"].as_str().unwrap())
        .collect();
    assert_eq!(
        declared, related,
        "log.jsonocel?{query}: the objects its events relate to"
    );
    let api: serde_json::Value =
        serde_json::from_str(&get(router, &format!("/api/instances?{query}&limit=1000")).await)
            .unwrap();
    assert_eq!(api["total"], n, "api/instances?{query}");
    let listed: BTreeSet<String> = api["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["label"]
                .as_str()
                .unwrap()
                .trim_start_matches("order=")
                .to_string()
        })
        .collect();
    assert_eq!(&listed, expected, "api/instances?{query}");
    let csv = get(router, &format!("/export/instances.csv?{query}")).await;
    assert_eq!(csv.lines().count() as u64, n + 1, "instances.csv?{query}");
    let dfg: serde_json::Value =
        serde_json::from_str(&get(router, &format!("/export/dfg.json?{query}")).await).unwrap();
    assert_eq!(dfg["cases"], n, "dfg.json?{query}");
    let variants: serde_json::Value =
        serde_json::from_str(&get(router, &format!("/export/variants.json?{query}")).await)
            .unwrap();
    assert_eq!(
        support::cases_in_variants(&variants),
        n,
        "variants.json?{query}"
    );
    let instances = counted(n, "instance");
    let map = get(router, &format!("/map?{query}")).await;
    assert!(
        map.contains(&format!("{instances}, ")),
        "map?{query}: {instances}"
    );
    let variants = get(router, &format!("/variants?{query}")).await;
    assert!(
        variants.contains(&format!("over {instances}")),
        "variants?{query}"
    );
    let bottlenecks = get(router, &format!("/bottlenecks?{query}")).await;
    assert!(
        bottlenecks.contains(&format!("over {n} instances")),
        "bottlenecks?{query}"
    );
    let listed = get(router, &format!("/instances?{query}")).await;
    assert!(listed.contains(&instances), "instances?{query}");
}

#[tokio::test]
async fn every_page_api_and_export_covers_the_instances_the_filter_bar_selects() {
    let (_dir, router) = served();
    let all = cases(&get(&router, "/export/log.xes").await);
    assert_eq!(all.len(), 600);
    let has = |c: &Case, a: &str| c.activities.iter().any(|x| x == a);
    // Conditions drawn from the data: an activity some instances have and others lack, a
    // path, the median duration, the middle day, one order's key.
    let share = |a: &str| all.iter().filter(|c| has(c, a)).count();
    let mut partial: Vec<&str> = all
        .iter()
        .flat_map(|c| c.activities.iter().map(String::as_str))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|a| (1..all.len()).contains(&share(a)))
        .collect();
    partial.sort_by_key(|a| std::cmp::Reverse(share(a)));
    let (present, absent) = (partial[0], partial[1]);
    let pairs = |c: &Case| -> BTreeSet<(String, String)> {
        c.activities
            .windows(2)
            .map(|w| (w[0].clone(), w[1].clone()))
            .collect()
    };
    let path = all
        .iter()
        .flat_map(pairs)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|p| (all.iter().filter(|c| pairs(c).contains(&p)).count(), p))
        .filter(|(n, _)| *n < all.len())
        .max()
        .unwrap()
        .1;
    let mut durations: Vec<Micros> = all.iter().map(|c| c.last - c.first).collect();
    durations.sort();
    let median = durations[durations.len() / 2] / SECOND;
    let first = all.iter().map(|c| c.first).min().unwrap();
    let last = all.iter().map(|c| c.last).max().unwrap();
    let day = format_timestamp(first + (last - first) / 2)[..10].to_string();
    let day_start = miner::time::parse_timestamp(&format!("{day}T00:00:00Z"))
        .unwrap()
        .0;
    let in_day = |c: &Case| {
        c.times
            .iter()
            .any(|&t| t >= day_start && t < day_start + DAY)
    };
    let follows = |c: &Case| {
        c.activities
            .windows(2)
            .any(|w| w[0] == path.0 && w[1] == path.1)
    };
    let long = |c: &Case| c.last - c.first >= median * SECOND;
    let ends = collector::CollectorConfig::parse(ORDER_FLOW_CONFIG)
        .unwrap()
        .instances
        .end_activities;
    let completed = |c: &Case| ends.contains(c.activities.last().unwrap());
    // The instances with a retried payment: those an event saying `attempt: 2` relates to.
    let ocel: serde_json::Value =
        serde_json::from_str(&get(&router, "/export/log.jsonocel").await).unwrap();
    let names_of_all = names(&all);
    let retried: BTreeSet<String> = ocel["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["name"] == "attempt" && a["value"] == 2)
        })
        .flat_map(|e| e["relationships"].as_array().unwrap())
        .map(|r| r["objectId"].as_str().unwrap().to_string())
        .filter(|id| names_of_all.contains(id))
        .collect();
    let one = all[7].name.clone();
    // An activity some long instances with `present` lack, for a combination.
    let lacking = *partial[1..]
        .iter()
        .find(|a| all.iter().any(|c| has(c, present) && !has(c, a) && long(c)))
        .unwrap();
    let checks: Vec<Check> = vec![
        (
            format!("activity={}", encode(present)),
            Box::new(|c| has(c, present)),
        ),
        (
            format!("absent={}", encode(absent)),
            Box::new(|c| !has(c, absent)),
        ),
        (
            format!("edge={}", encode(&format!("{}>{}", path.0, path.1))),
            Box::new(follows),
        ),
        (format!("min_duration={median}s"), Box::new(long)),
        (
            format!("max_duration={median}s"),
            Box::new(|c| c.last - c.first <= median * SECOND),
        ),
        (format!("from={day}&to={day}"), Box::new(in_day)),
        (format!("key=order%3D{one}"), Box::new(|c| c.name == one)),
        ("status=completed".to_string(), Box::new(completed)),
        (
            "attribute=attempt%3D2".to_string(),
            Box::new(|c| retried.contains(&c.name)),
        ),
        (
            format!("status=completed&absent={}", encode(absent)),
            Box::new(|c| completed(c) && !has(c, absent)),
        ),
        (
            format!(
                "activity={}&absent={}&min_duration={median}s",
                encode(present),
                encode(lacking)
            ),
            Box::new(|c| has(c, present) && !has(c, lacking) && long(c)),
        ),
    ];
    for (query, selects) in &checks {
        let expected = names(all.iter().filter(|c| selects(c)));
        assert!(
            !expected.is_empty() && expected.len() < all.len(),
            "{query} must tell instances apart"
        );
        every_answer_covers(&router, query, &expected).await;
    }
}

#[tokio::test]
async fn a_wrong_filter_is_refused_on_every_page_naming_the_parameter() {
    let (_dir, router) = served();
    for uri in [
        "/map",
        "/variants",
        "/bottlenecks",
        "/instances",
        "/api/instances",
        "/export/log.xes",
        "/export/dfg.csv",
    ] {
        for (query, named) in [
            (
                "min_duration=2d&max_duration=1h",
                "min_duration (2d) is longer than max_duration (1h)",
            ),
            (
                "from=2026-02-01&to=2026-01-01",
                "from (2026-02-01) is not before to (2026-01-01)",
            ),
            ("edge=A", "edge:"),
            ("key=4711", "key:"),
            ("status=late", "status:"),
            ("attribute=2", "attribute:"),
        ] {
            let (status, body) = support::get(&router, &format!("{uri}?{query}")).await;
            assert_eq!(status, 400, "{uri}?{query}");
            assert!(body.contains(named), "{uri}?{query}: {body}");
        }
    }
}

#[tokio::test]
async fn the_bar_suggests_key_kinds_and_attribute_values_of_the_data() {
    let (_dir, router) = served();
    let page = get(&router, "/instances").await;
    for kind in ["order", "payment"] {
        assert!(
            page.contains(&format!(r#"<option value="{kind}=">"#)),
            "{kind} keys are suggested"
        );
    }
    let attributes = &page[page.find(r#"<datalist id="bar-attributes">"#).unwrap()..];
    let attributes = &attributes[..attributes.find("</datalist>").unwrap()];
    let first = attributes
        .split(r#"<option value=""#)
        .nth(1)
        .and_then(|o| o.split('"').next())
        .expect("an attribute value is suggested");
    let (status, body) = support::get(
        &router,
        &format!("/api/instances?attribute={}", encode(first)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let total = serde_json::from_str::<serde_json::Value>(&body).unwrap()["total"].clone();
    assert!(
        total.as_u64().unwrap() > 0,
        "the suggestion {first} selects instances"
    );
}
