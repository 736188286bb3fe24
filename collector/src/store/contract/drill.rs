//! Contract checks of the filter bar and the drill-down from a number to the instances behind
//! it: instances with or without an activity, with a path (one activity directly followed by
//! another), following a variant, within a time range or a duration range, carrying a key or
//! in a status; combined with the other filters and paged, and the statistics of the same
//! selection.

use super::{event, Factory};
use crate::store::{CaseFilter, InstanceQuery, InstanceStatus, StatsQuery, Store};
use miner::log::BusinessKey;

/// The labels of the instances `cases` (and `search`) select, sorted, and the total.
fn labels(store: &dyn Store, cases: CaseFilter, search: Option<&str>) -> (u64, Vec<String>) {
    let page = store
        .instances(&InstanceQuery {
            cases,
            search: search.map(str::to_string),
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    let mut labels: Vec<String> = page.instances.into_iter().map(|i| i.label).collect();
    labels.sort();
    (page.total, labels)
}

fn edges(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|&(a, b)| (a.into(), b.into())).collect()
}

/// The total and sorted labels of these orders.
fn orders(n: &[&str]) -> (u64, Vec<String>) {
    (
        n.len() as u64,
        n.iter().map(|o| format!("order={o}")).collect(),
    )
}

/// Four orders: 1 `ABC` over 2 s (its B says amount 120, express), 2 `ABD` over 4 s (its last
/// event also names payment `p2`), 3 `BAC` over 6 s from 300 s (its A says channel web), 4 `AC`
/// over 4 s; delivered in reverse.
fn four_orders(store: &dyn Store) {
    let mut events = Vec::new();
    for (order, activities) in [(1, "ABC"), (2, "ABD"), (3, "BAC"), (4, "AC")] {
        for (i, activity) in activities.chars().enumerate() {
            let id = format!("{order}-{i}");
            let t = (order * 100 + i * order) as i64 * 1_000_000;
            let value = order.to_string();
            let mut keys = vec![("order", value.as_str())];
            if order == 2 && activity == 'D' {
                keys.push(("payment", "p2"));
            }
            let mut event = event(&id, &activity.to_string(), t, &keys);
            if (order, activity) == (3, 'A') {
                event.attributes.insert("channel".into(), "web".into());
            }
            if (order, activity) == (1, 'B') {
                event.attributes.insert("amount".into(), 120.into());
                event.attributes.insert("express".into(), true.into());
            }
            events.push(event);
        }
    }
    // Delivered in reverse: the steps are still taken in time order.
    events.reverse();
    store.append(&events).unwrap();
}

pub(crate) fn drills_down_to_the_instances_behind_a_step(factory: Factory<'_>) {
    let store = factory(&super::config());
    four_orders(store.as_ref());
    let with = |activity: &str| CaseFilter {
        with: vec![activity.into()],
        ..Default::default()
    };
    assert_eq!(labels(store.as_ref(), with("D"), None), orders(&["2"]));
    assert_eq!(
        labels(store.as_ref(), with("C"), None),
        orders(&["1", "3", "4"])
    );
    let path = |from: &str, to: &str| CaseFilter {
        follows: edges(&[(from, to)]),
        ..Default::default()
    };
    assert_eq!(
        labels(store.as_ref(), path("A", "B"), None),
        orders(&["1", "2"])
    );
    assert_eq!(labels(store.as_ref(), path("B", "C"), None), orders(&["1"]));
    assert_eq!(
        labels(store.as_ref(), path("C", "A"), None),
        orders(&[]),
        "C never precedes A"
    );
    let paths = |pairs: &[(&str, &str)]| CaseFilter {
        follows: edges(pairs),
        ..Default::default()
    };
    assert_eq!(
        labels(store.as_ref(), paths(&[("B", "A"), ("A", "C")]), None),
        orders(&["3"]),
        "every path given"
    );
    assert_eq!(
        labels(store.as_ref(), paths(&[("A", "B"), ("A", "C")]), None),
        orders(&[])
    );
    let with_both = CaseFilter {
        with: vec!["B".into(), "C".into()],
        without: vec!["D".into(), "Z".into()],
        ..Default::default()
    };
    assert_eq!(
        labels(store.as_ref(), with_both, None),
        orders(&["1", "3"]),
        "every activity given, none of those absent"
    );
    let variant = CaseFilter {
        variant: Some(vec!["A".into(), "B".into(), "C".into()]),
        ..Default::default()
    };
    assert_eq!(labels(store.as_ref(), variant, None), orders(&["1"]));
    let both = CaseFilter {
        with: vec!["C".into()],
        follows: edges(&[("A", "C")]),
        ..Default::default()
    };
    assert_eq!(labels(store.as_ref(), both, None), orders(&["3", "4"]));
    assert_eq!(
        labels(store.as_ref(), with("A"), Some("order=2")),
        orders(&["2"])
    );
    assert_eq!(
        labels(store.as_ref(), with("Z"), None),
        orders(&[]),
        "an activity never seen"
    );
    // Paged, newest activity first.
    let second = store
        .instances(&InstanceQuery {
            cases: path("A", "B"),
            offset: 1,
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(second.total, 2);
    let shown: Vec<&str> = second.instances.iter().map(|i| i.label.as_str()).collect();
    assert_eq!(shown, ["order=1"]);
}

/// Each condition of the filter bar selects the same instances in the instance list as in
/// the statistics, alone and combined.
pub(crate) fn filters_instances_and_statistics_alike(factory: Factory<'_>) {
    let mut config = super::config();
    config.instances.end_activities = vec!["C".into()];
    let store = factory(&config);
    four_orders(store.as_ref());
    const S: i64 = 1_000_000;
    let cases = |filter: CaseFilter| {
        let stats = store
            .process_stats(&StatsQuery {
                cases: filter.clone(),
                activities: None,
            })
            .unwrap();
        let listed = labels(store.as_ref(), filter, None);
        assert_eq!(stats.cases, listed.0, "the map counts what the list lists");
        listed
    };
    let without = CaseFilter {
        without: vec!["B".into()],
        ..Default::default()
    };
    assert_eq!(cases(without), orders(&["4"]));
    let never_seen = CaseFilter {
        without: vec!["Z".into()],
        ..Default::default()
    };
    assert_eq!(cases(never_seen), orders(&["1", "2", "3", "4"]));
    let long = CaseFilter {
        min_duration: Some(4 * S),
        ..Default::default()
    };
    assert_eq!(
        cases(long),
        orders(&["2", "3", "4"]),
        "bounds are inclusive"
    );
    let mid = CaseFilter {
        min_duration: Some(3 * S),
        max_duration: Some(4 * S),
        ..Default::default()
    };
    assert_eq!(cases(mid), orders(&["2", "4"]));
    let window = CaseFilter {
        from: Some(300 * S),
        to: Some(303 * S),
        ..Default::default()
    };
    assert_eq!(cases(window), orders(&["3"]), "an event inside [from, to)");
    let by_key = |kind: &str, value: &str| CaseFilter {
        key: Some(BusinessKey::new(kind, value)),
        ..Default::default()
    };
    assert_eq!(cases(by_key("payment", "p2")), orders(&["2"]));
    assert_eq!(
        store.key_kinds().unwrap(),
        ["order", "payment"],
        "the kinds a map can take as its case notion, most carried first"
    );
    assert_eq!(cases(by_key("payment", "p9")), orders(&[]));
    let with = |name: &str, value: &str| CaseFilter {
        attribute: Some((name.into(), value.into())),
        ..Default::default()
    };
    assert_eq!(cases(with("channel", "web")), orders(&["3"]));
    assert_eq!(
        cases(with("amount", "120")),
        orders(&["1"]),
        "a number as JSON writes it"
    );
    assert_eq!(cases(with("express", "true")), orders(&["1"]));
    assert_eq!(cases(with("channel", "shop")), orders(&[]));
    let web_with_c = CaseFilter {
        with: vec!["C".into()],
        ..with("channel", "web")
    };
    assert_eq!(cases(web_with_c), orders(&["3"]));
    let combined = CaseFilter {
        with: vec!["A".into()],
        without: vec!["D".into()],
        max_duration: Some(4 * S),
        ..Default::default()
    };
    assert_eq!(cases(combined.clone()), orders(&["1", "4"]));
    assert_eq!(
        cases(CaseFilter::in_status(InstanceStatus::Completed)),
        orders(&["1", "3", "4"]),
        "C ends an instance"
    );
    let open =
        [InstanceStatus::Running, InstanceStatus::Stuck].map(|s| cases(CaseFilter::in_status(s)));
    assert_eq!(
        open.iter().map(|(n, _)| n).sum::<u64>(),
        1,
        "order 2 is running or stuck: {open:?}"
    );
    let completed_with_b = CaseFilter {
        with: vec!["B".into()],
        ..CaseFilter::in_status(InstanceStatus::Completed)
    };
    assert_eq!(cases(completed_with_b), orders(&["1", "3"]));
    let stats = store
        .process_stats(&StatsQuery {
            cases: combined,
            activities: None,
        })
        .unwrap();
    let mut activities: Vec<&str> = stats.activities.iter().map(|a| a.name.as_str()).collect();
    activities.sort();
    assert_eq!(activities, ["A", "B", "C"], "D's only order is left out");
}
