//! The collector's memory holds only live instances: completed or idle ones leave it, and
//! come back whole from the store when one of their keys reappears — with the same answers
//! as a store that never lets anything go.

use super::EmbeddedStore;
use crate::config::InstanceRules;
use crate::store::contract::{assert_same_process, keyed_event, order_events, recompute};
use crate::store::{InstanceQuery, StatsQuery, Store};
use miner::time::{HOUR, MINUTE};

fn open(dir: &tempfile::TempDir, rules: InstanceRules) -> EmbeddedStore {
    EmbeddedStore::open(dir.path(), rules).unwrap()
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
fn pass_time(store: &EmbeddedStore, t: i64, tag: &str) {
    for i in 0..300 {
        let order = format!("{tag}{i}");
        let at = t + i as i64 * HOUR;
        store
            .append(&[keyed_event(&format!("{tag}-{i}"), at, &[("order", &order)])])
            .unwrap();
    }
}

#[test]
fn an_evicted_instance_comes_back_whole_when_a_key_reappears() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, rules(2 * HOUR));
    let first = [
        keyed_event("place", 0, &[("order", "1"), ("payment", "p1")]),
        keyed_event("done", MINUTE, &[("order", "1")]),
    ];
    store.append(&first).unwrap();
    store
        .append(&[keyed_event("idle", 0, &[("order", "2")])])
        .unwrap();
    pass_time(&store, HOUR, "later");
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
        &recompute(&store),
    );
}

#[test]
fn a_store_that_forgets_idle_instances_answers_as_one_that_keeps_them() {
    let (config, mut events) = order_events(1_500);
    // Neighbouring events swapped now and then: delivery slightly out of order.
    for i in (1..events.len()).step_by(7) {
        events.swap(i - 1, i);
    }
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let forgetful = open(
        &dir_a,
        InstanceRules {
            evict_after: HOUR,
            ..config.instances.clone()
        },
    );
    let keeping = open(
        &dir_b,
        InstanceRules {
            evict_after: i64::MAX,
            ..config.instances.clone()
        },
    );
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

#[test]
fn nothing_of_the_history_is_read_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let (config, events) = order_events(300);
    {
        let store = open(&dir, config.instances.clone());
        store.append(&events).unwrap();
        assert!(store.held_in_memory().unwrap().keys > 0);
    }
    let store = open(&dir, config.instances.clone());
    let held = store.held_in_memory().unwrap();
    assert_eq!((held.instances, held.keys, held.event_ids), (0, 0, 0));
    // Yet every event is known when redelivered, and new ids continue above the stored ones.
    let report = store.append(&events).unwrap();
    assert_eq!(
        (report.inserted, report.duplicates),
        (0, events.len() as u64)
    );
    let before = store.overview().unwrap().instances;
    store
        .append(&[keyed_event("new", 0, &[("order", "a-new-order")])])
        .unwrap();
    assert_eq!(store.overview().unwrap().instances, before + 1);
}

#[test]
fn a_writer_catches_up_with_another_process_writing_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (open(&dir, rules(HOUR)), open(&dir, rules(HOUR)));
    a.append(&[keyed_event("1", 0, &[("order", "1")])]).unwrap();
    // The other writer adds to the same order, then the first one again.
    b.append(&[keyed_event("2", MINUTE, &[("order", "1")])])
        .unwrap();
    a.append(&[keyed_event("3", 2 * MINUTE, &[("order", "1")])])
        .unwrap();
    assert_eq!(
        a.overview().unwrap().instances,
        1,
        "one order, one instance"
    );
    assert_same_process(
        &a.process_stats(&StatsQuery::default()).unwrap(),
        &recompute(&a),
    );
    assert_eq!(recompute(&a).events, 3);
}
