//! The embedded store's process state beyond the contract: built when missing, and never
//! ahead of or behind the events when a batch fails.

use crate::store::contract::{assert_same_process, keyed_event, order_events, recompute};
use crate::store::embedded::{EmbeddedStore, DB_FILE};
use crate::store::{StatsQuery, StoreRead, StoreWrite};

fn kept(store: &EmbeddedStore) -> miner::discovery::ProcessStats {
    store.process_stats(&StatsQuery::default()).unwrap()
}

#[test]
fn a_missing_or_dropped_state_is_built_again_from_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let (config, events) = order_events(120);
    {
        let store = EmbeddedStore::open(dir.path(), config.instances.clone()).unwrap();
        store.append(&events).unwrap();
    }
    // As an older version, or a damaged file, leaves it: no state, or part of it gone.
    for damage in [
        "DROP TABLE state_counts; DROP TABLE state_buckets; DELETE FROM state_meta;",
        "DELETE FROM state_traces; UPDATE state_meta SET version = 0;",
    ] {
        rusqlite::Connection::open(dir.path().join(DB_FILE))
            .unwrap()
            .execute_batch(damage)
            .unwrap();
        let store = EmbeddedStore::open(dir.path(), config.instances.clone()).unwrap();
        let exact = recompute(&store);
        assert_eq!(exact.events, events.len() as u64, "{damage}");
        assert_same_process(&kept(&store), &exact);
    }
}

#[test]
fn a_batch_failing_between_events_and_state_keeps_neither() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), Default::default()).unwrap();
    store
        .append(&[keyed_event("a", 1, &[("order", "1")])])
        .unwrap();
    let before = kept(&store);
    // The events of the batch are written; writing its state then fails.
    store.execute_for_test(
        "CREATE TRIGGER fail BEFORE INSERT ON state_traces BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    let batch = [
        keyed_event("b", 5, &[("order", "1")]),
        keyed_event("c", 7, &[("order", "2")]),
    ];
    assert!(store.append(&batch).is_err());
    assert_eq!(
        store.overview().unwrap().events,
        1,
        "no event of the batch kept"
    );
    assert_eq!(kept(&store), before, "no state of the batch kept");
    store.execute_for_test("DROP TRIGGER fail");
    store.append(&batch).unwrap();
    assert_eq!(kept(&store).events, 3);
    assert_same_process(&kept(&store), &recompute(&store));
}

#[test]
fn a_damaged_trace_found_while_writing_has_the_state_built_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), Default::default()).unwrap();
    store
        .append(&[keyed_event("a", 1, &[("order", "1")])])
        .unwrap();
    // Reopened (nothing in memory), with the order's stored steps damaged.
    drop(store);
    rusqlite::Connection::open(dir.path().join(DB_FILE))
        .unwrap()
        .execute_batch("UPDATE state_traces SET steps = x'09ff'")
        .unwrap();
    let store = EmbeddedStore::open(dir.path(), Default::default()).unwrap();
    store
        .append(&[keyed_event("b", 5, &[("order", "1")])])
        .unwrap();
    assert_eq!(kept(&store).events, 2);
    assert_same_process(&kept(&store), &recompute(&store));
}
