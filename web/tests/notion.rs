//! Case notions on a real object-centric log (OCEL 2.0 logistics): the map of one object type
//! has one case per object of that type on the page, its SVG and its exports alike; the
//! object-centric map draws each type's paths as strands that count what that type's own map
//! counts. (That each type's map equals pm4py's flattened DFG is checked by
//! `scripts/check_pm4py.py`.)

mod support;

use std::collections::BTreeMap;

fn served_logistics() -> (tempfile::TempDir, axum::Router) {
    support::served_file(&support::shared("ocel/logistics.sqlite"))
}

async fn get(router: &axum::Router, uri: &str) -> String {
    let (status, body) = support::get(router, uri).await;
    assert!(status.is_success(), "{uri}: {status}: {body}");
    body
}

async fn json(router: &axum::Router, uri: &str) -> serde_json::Value {
    serde_json::from_str(&get(router, uri).await).unwrap()
}

/// The value of each attribute of `element` (the text of one SVG element).
fn attribute<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!(" {name}=\"");
    let at = element.find(&marker)? + marker.len();
    Some(&element[at..at + element[at..].find('"')?])
}

/// What one object type's paths count: flow edges, starts and ends, by activity names.
#[derive(Debug, Default, PartialEq)]
struct Paths {
    edges: BTreeMap<(String, String), u64>,
    starts: BTreeMap<String, u64>,
    ends: BTreeMap<String, u64>,
}

/// The paths of the object type's own map, from its DFG export.
async fn paths_of(router: &axum::Router, kind: &str) -> Paths {
    let dfg = json(
        router,
        &format!("/export/dfg.json?notion={}", kind.replace(' ', "%20")),
    )
    .await;
    let counts = |v: &serde_json::Value| -> BTreeMap<String, u64> {
        v.as_object()
            .unwrap()
            .iter()
            .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
            .collect()
    };
    Paths {
        edges: dfg["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    (
                        e["from"].as_str().unwrap().to_string(),
                        e["to"].as_str().unwrap().to_string(),
                    ),
                    e["count"].as_u64().unwrap(),
                )
            })
            .collect(),
        starts: counts(&dfg["start_activities"]),
        ends: counts(&dfg["end_activities"]),
    }
}

#[tokio::test]
async fn a_map_per_object_type_and_one_with_every_type_side_by_side() {
    let (_dir, router) = served_logistics();
    let page = get(&router, "/map").await;
    for kind in [
        "Container",
        "Customer Order",
        "Forklift",
        "Truck",
        "Vehicle",
    ] {
        assert!(
            page.contains(&format!(
                r#"<option value="{kind}" >one per {kind}</option>"#
            )),
            "the map offers {kind} as the case notion"
        );
    }
    let containers = get(&router, "/map?notion=Container").await;
    assert!(
        containers.contains("510 cases (one per Container key)"),
        "one case per container"
    );
    let dfg = json(&router, "/export/dfg.json?notion=Container").await;
    assert_eq!(dfg["cases"], 510);
    assert_eq!(dfg["start_activities"]["Pick Up Empty Container"], 510);
    let variants = json(&router, "/export/variants.json?notion=Container").await;
    assert_eq!(support::cases_in_variants(&variants), 510);

    let objects = get(&router, "/api/map.svg?notion=*").await;
    assert!(objects.contains(r#"data-notion="objects""#));
    let strands: Vec<&str> = objects
        .split("<g class=\"edge\"")
        .skip(1)
        .filter(|g| g.contains("data-object="))
        .collect();
    let mut per_kind: BTreeMap<String, Paths> = BTreeMap::new();
    for strand in &strands {
        let (from, to) = (
            attribute(strand, "data-from").unwrap().to_string(),
            attribute(strand, "data-to").unwrap().to_string(),
        );
        let kind = attribute(strand, "data-object").unwrap().to_string();
        let n: u64 = attribute(strand, "data-object-count")
            .unwrap()
            .parse()
            .unwrap();
        let paths = per_kind.entry(kind).or_default();
        if from.starts_with('▶') {
            paths.starts.insert(to, n);
        } else if to.starts_with('■') {
            paths.ends.insert(from, n);
        } else {
            paths.edges.insert((from, to), n);
        }
    }
    assert!(
        per_kind.len() >= 6,
        "every object type draws: {:?}",
        per_kind.keys()
    );
    for (kind, drawn) in &per_kind {
        assert_eq!(drawn, &paths_of(&router, kind).await, "{kind}'s strands");
    }
    let legend = objects.matches(r#"class="legend-kind""#).count();
    assert_eq!(legend, per_kind.len(), "one legend entry per object type");
}

/// In the performance map of every type, each type's strand on a path shows that type's own
/// time on it (its median here), as its own map's export gives it.
#[tokio::test]
async fn each_object_type_shows_its_own_time_on_a_shared_path() {
    let (_dir, router) = served_logistics();
    let objects = get(
        &router,
        "/api/map.svg?notion=*&mode=performance&metric=median",
    )
    .await;
    assert!(objects.contains(r#"data-mode="performance" data-metric="median""#));
    let mut timed: BTreeMap<String, BTreeMap<(String, String), i64>> = BTreeMap::new();
    for strand in objects.split("<g class=\"edge\"").skip(1) {
        let (Some(kind), Some(value)) = (
            attribute(strand, "data-object"),
            attribute(strand, "data-object-value"),
        ) else {
            continue;
        };
        let path = (
            attribute(strand, "data-from").unwrap().to_string(),
            attribute(strand, "data-to").unwrap().to_string(),
        );
        let value = value.parse().unwrap();
        timed
            .entry(kind.to_string())
            .or_default()
            .insert(path, value);
    }
    assert!(timed.len() >= 6, "every object type: {:?}", timed.keys());
    for (kind, drawn) in &timed {
        let dfg = json(
            &router,
            &format!("/export/dfg.json?notion={}", kind.replace(' ', "%20")),
        )
        .await;
        let own: BTreeMap<(String, String), i64> = dfg["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["count"].as_u64().unwrap() > 0)
            .map(|e| {
                let path = (
                    e["from"].as_str().unwrap().to_string(),
                    e["to"].as_str().unwrap().to_string(),
                );
                (path, (e["median_s"].as_f64().unwrap() * 1e6).round() as i64)
            })
            .collect();
        assert_eq!(drawn, &own, "{kind}'s strands show its own medians");
    }
}

#[tokio::test]
async fn a_case_notion_takes_the_filter_bar_too() {
    let (_dir, router) = served_logistics();
    let all = json(&router, "/export/dfg.json?notion=Truck").await;
    let weighed = json(&router, "/export/dfg.json?notion=Truck&absent=Weigh").await;
    assert!(
        weighed["events"].as_u64() < all["events"].as_u64(),
        "instances with Weigh are left out: {} of {}",
        weighed["events"],
        all["events"]
    );
}

/// With the activity slider on a filtered notion's map (one kind, and every kind), the map
/// draws the first half of the activities of that filtered notion in its ranking, each with its
/// count there: the statistics projected on the kept activities come from the same selection.
#[tokio::test]
async fn the_slider_keeps_a_filtered_notions_most_frequent_activities() {
    let (_dir, router) = served_logistics();
    // Selecting most instances, and fewer (whose keys are held for the second statistics).
    for (notion, from) in [
        ("Container", "2023-08-01"),
        ("%2A", "2023-08-01"),
        ("%2A", "2023-10-01"),
    ] {
        let filter = format!("notion={notion}&from={from}");
        let full = json(&router, &format!("/export/dfg.json?{filter}")).await;
        let ranked: Vec<(String, u64)> = full["activities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let name = a["name"].as_str().unwrap().to_string();
                (name, a["count"].as_u64().unwrap())
            })
            .collect();
        assert!(ranked.len() >= 4, "{filter}: {ranked:?}");
        let svg = get(&router, &format!("/api/map.svg?{filter}&activities=50")).await;
        let drawn: BTreeMap<String, u64> = svg
            .split("<g class=\"node\"")
            .skip(1)
            .map(|node| {
                let name = attribute(node, "data-activity").unwrap().to_string();
                (
                    name,
                    attribute(node, "data-count").unwrap().parse().unwrap(),
                )
            })
            .collect();
        let half = (ranked.len() as f64 / 2.0).round() as usize;
        let hidden_most = ranked[half..].iter().map(|(_, n)| *n).max().unwrap_or(0);
        let kept: BTreeMap<String, u64> = ranked.into_iter().take(half).collect();
        assert_eq!(drawn, kept, "{filter}");
        assert!(
            drawn.values().all(|&n| n >= hidden_most),
            "{filter}: no hidden activity is drawn more often than a kept one: {drawn:?}, {hidden_most}"
        );
    }
}
