//! Contract check of the drill-down from a number to the instances behind it: instances with
//! an activity, with a path (one activity directly followed by another), or following a
//! variant, combined with the other filters and paged.

use super::{event, Factory};
use crate::store::{InstanceQuery, StepFilter, Store};

/// The labels of the instances `steps` (and `search`) select, sorted, and the total.
fn labels(store: &dyn Store, steps: StepFilter, search: Option<&str>) -> (u64, Vec<String>) {
    let page = store
        .instances(&InstanceQuery {
            steps,
            search: search.map(str::to_string),
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    let mut labels: Vec<String> = page.instances.into_iter().map(|i| i.label).collect();
    labels.sort();
    (page.total, labels)
}

fn edge(from: &str, to: &str) -> Option<(String, String)> {
    Some((from.into(), to.into()))
}

pub(crate) fn drills_down_to_the_instances_behind_a_step(factory: Factory<'_>) {
    let store = factory(&super::config());
    let mut events = Vec::new();
    for (order, activities) in [(1, "ABC"), (2, "ABD"), (3, "BAC"), (4, "AC")] {
        for (i, activity) in activities.chars().enumerate() {
            let id = format!("{order}-{i}");
            let t = (order * 100 + i) as i64 * 1_000_000;
            let value = order.to_string();
            events.push(event(&id, &activity.to_string(), t, &[("order", &value)]));
        }
    }
    // Delivered in reverse: the steps are still taken in time order.
    events.reverse();
    store.append(&events).unwrap();
    let all = |n: &[&str]| -> (u64, Vec<String>) {
        (
            n.len() as u64,
            n.iter().map(|o| format!("order={o}")).collect(),
        )
    };
    let with = |activity: &str| StepFilter {
        activity: Some(activity.into()),
        ..Default::default()
    };
    assert_eq!(labels(store.as_ref(), with("D"), None), all(&["2"]));
    assert_eq!(
        labels(store.as_ref(), with("C"), None),
        all(&["1", "3", "4"])
    );
    let path = |from: &str, to: &str| StepFilter {
        edge: edge(from, to),
        ..Default::default()
    };
    assert_eq!(
        labels(store.as_ref(), path("A", "B"), None),
        all(&["1", "2"])
    );
    assert_eq!(labels(store.as_ref(), path("B", "C"), None), all(&["1"]));
    assert_eq!(
        labels(store.as_ref(), path("C", "A"), None),
        all(&[]),
        "C never precedes A"
    );
    let variant = StepFilter {
        variant: Some(vec!["A".into(), "B".into(), "C".into()]),
        ..Default::default()
    };
    assert_eq!(labels(store.as_ref(), variant, None), all(&["1"]));
    let both = StepFilter {
        activity: Some("C".into()),
        edge: edge("A", "C"),
        ..Default::default()
    };
    assert_eq!(labels(store.as_ref(), both, None), all(&["3", "4"]));
    assert_eq!(
        labels(store.as_ref(), with("A"), Some("order=2")),
        all(&["2"])
    );
    assert_eq!(
        labels(store.as_ref(), with("Z"), None),
        all(&[]),
        "an activity never seen"
    );
    // Paged, newest activity first.
    let second = store
        .instances(&InstanceQuery {
            steps: path("A", "B"),
            offset: 1,
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(second.total, 2);
    let shown: Vec<&str> = second.instances.iter().map(|i| i.label.as_str()).collect();
    assert_eq!(shown, ["order=1"]);
}
