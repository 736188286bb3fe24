//! Contract checks of the writer's memory: it holds only live instances; completed or idle
//! ones leave it, and come back whole from the store when one of their keys reappears — with
//! the same answers as a store that never lets anything go.

use super::{assert_same_process, config, keyed_event, order_events, recompute, Factory};
use crate::config::InstanceRules;
use crate::store::{InstanceQuery, StatsQuery, Store};
use crate::CollectorConfig;
use miner::time::{HOUR, MINUTE};

/// The demo configuration with `rules` for instances.
fn with_rules(rules: InstanceRules) -> CollectorConfig {
    CollectorConfig {
        instances: rules,
        ..config()
    }
}

fn rules(evict_after: i64) -> InstanceRules {
    InstanceRules {
        end_activities: vec!["DONE".into()],
        evict_after,
        ..Default::default()
    }
}

/// Appends 300 batches of one unrelated order each, an hour apart from `t`: enough for a
/// sweep.
fn pass_time(store: &dyn Store, t: i64, tag: &str) {
    for i in 0..300 {
        let order = format!("{tag}{i}");
        let at = t + i as i64 * HOUR;
        store
            .append(&[keyed_event(&format!("{tag}-{i}"), at, &[("order", &order)])])
            .unwrap();
    }
}

pub(crate) fn an_evicted_instance_comes_back_whole_when_a_key_reappears(factory: Factory<'_>) {
    let store = factory(&with_rules(rules(2 * HOUR)));
    let first = [
        keyed_event("place", 0, &[("order", "1"), ("payment", "p1")]),
        keyed_event("done", MINUTE, &[("order", "1")]),
    ];
    store.append(&first).unwrap();
    store
        .append(&[keyed_event("idle", 0, &[("order", "2")])])
        .unwrap();
    pass_time(store.as_ref(), HOUR, "later");
    let held = store.held_in_memory().unwrap();
    assert!(
        held.keys < 300,
        "completed and idle orders left memory: {held:?}"
    );
    assert!(store.overview().unwrap().instances > 300);
    let instances = store.overview().unwrap().instances;

    // Redelivered: known as stored, though its instance had left memory.
    let report = store.append(&first).unwrap();
    assert_eq!((report.inserted, report.duplicates), (0, 2));
    // A late event by a secondary key joins the stored instance; one linking the two evicted
    // orders merges them, older surviving.
    store
        .append(&[keyed_event("refund", 30 * HOUR, &[("payment", "p1")])])
        .unwrap();
    let report = store
        .append(&[keyed_event(
            "link",
            31 * HOUR,
            &[("order", "2"), ("payment", "p1")],
        )])
        .unwrap();
    assert_eq!(report.merges, 1);
    assert_eq!(store.overview().unwrap().instances, instances - 1);
    let order1 = store
        .instances(&InstanceQuery {
            search: Some("payment=p1".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(order1.total, 1);
    assert_eq!(
        order1.instances[0].events, 5,
        "place, done, refund, idle, link"
    );
    assert_same_process(
        &store.process_stats(&StatsQuery::default()).unwrap(),
        &recompute(store.as_ref()),
    );
}

pub(crate) fn a_store_that_forgets_idle_instances_answers_as_one_that_keeps_them(
    factory: Factory<'_>,
) {
    let (config, mut events) = order_events(1_500);
    // Neighbouring events swapped now and then: delivery slightly out of order.
    for i in (1..events.len()).step_by(7) {
        events.swap(i - 1, i);
    }
    let forgetful = factory(&with_rules(InstanceRules {
        evict_after: HOUR,
        ..config.instances.clone()
    }));
    let keeping = factory(&with_rules(InstanceRules {
        evict_after: i64::MAX,
        ..config.instances.clone()
    }));
    let mut most_held = 0;
    for batch in events.chunks(97) {
        let a = forgetful.append(batch).unwrap();
        assert_eq!(a, keeping.append(batch).unwrap());
        most_held = most_held.max(forgetful.held_in_memory().unwrap().keys);
    }
    let (a, b) = (forgetful.overview().unwrap(), keeping.overview().unwrap());
    assert_eq!(a, b);
    let stored = forgetful.keys().unwrap().len();
    assert!(
        most_held * 3 < stored,
        "at most a third of the keys held at any time: {most_held} of {stored}"
    );
    let query = StatsQuery::default();
    assert_eq!(
        forgetful.process_stats(&query).unwrap(),
        keeping.process_stats(&query).unwrap()
    );
    let all = InstanceQuery {
        limit: 100_000,
        ..Default::default()
    };
    assert_eq!(
        forgetful.instances(&all).unwrap(),
        keeping.instances(&all).unwrap()
    );
}
