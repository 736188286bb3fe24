//! The embedded writer reads nothing of the history on open, and catches up with another
//! process writing the same store (the contract suite checks eviction itself).

use super::EmbeddedStore;
use crate::config::InstanceRules;
use crate::store::contract::{assert_same_process, keyed_event, order_events, recompute};
use crate::store::{StatsQuery, StoreRead, StoreWrite};
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
