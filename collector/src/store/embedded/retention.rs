//! Retention: whole instances whose last event is older than the horizon are deleted with
//! their events, keys, merges and process state, and so are the events without a key older
//! than the horizon, a slice at a time, so that ingest waits at
//! most one slice and the database file stops growing (SQLite reuses the freed pages).
//!
//! The horizon is measured against the newest event stored (the data's clock, as for stuck
//! and eviction), so an imported historical log keeps its last `keep` of history. A running
//! instance is deleted only once it is idle past the horizon; an instance is never cut: all of
//! it goes or none. A run interrupted by a crash loses only its open slice, and the next run
//! carries on.

use super::live::Live;
use super::state::{self, Changes};
use super::write::begin;
use crate::config::InstanceRules;
use crate::correlate::InstanceId;
use crate::store::Deleted;
use crate::CollectorError;
use miner::time::Micros;
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};

/// Instances deleted per transaction.
pub const SLICE: usize = 1_000;

/// Events without a key deleted per transaction.
pub const KEYLESS_SLICE: usize = 10_000;

/// Deletes up to [`SLICE`] instances whose last event is more than `keep` older than the
/// newest event, in one transaction. Returns what it deleted and the instances, for the
/// writer to drop from its memory.
pub fn delete_slice(
    conn: &mut Connection,
    keep: Micros,
    live: &mut Live,
    rules: &InstanceRules,
) -> Result<(Deleted, Vec<InstanceId>), CollectorError> {
    let tx = begin(conn)?;
    live.catch_up(&tx, rules)?;
    // The newest event: the latest instance's or the latest event without a key.
    let newest: Option<Micros> = tx.query_row(
        "SELECT MAX(t) FROM (SELECT MAX(last_ts) AS t FROM instances
                             UNION ALL SELECT MAX(ts) FROM events INDEXED BY events_keyless_by_time
                                       WHERE instance IS NULL)",
        [],
        |r| r.get(0),
    )?;
    let Some(newest) = newest else {
        return Ok((Deleted::default(), Vec::new()));
    };
    let before = newest.saturating_sub(keep);
    let old: Vec<InstanceId> = tx
        .prepare_cached("SELECT id FROM instances WHERE last_ts < ?1 ORDER BY last_ts LIMIT ?2")?
        .query_map(rusqlite::params![before, SLICE as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut deleted = Deleted::default();
    let mut merges = 0;
    for &instance in &old {
        deleted.events += tx
            .prepare_cached("DELETE FROM events WHERE instance = ?1")?
            .execute([instance])? as u64;
        tx.prepare_cached("DELETE FROM keys WHERE instance = ?1")?
            .execute([instance])?;
        merges += tx
            .prepare_cached("DELETE FROM merges WHERE survivor = ?1")?
            .execute([instance])?;
        tx.prepare_cached("DELETE FROM instances WHERE id = ?1")?
            .execute([instance])?;
        deleted.instances += 1;
    }
    // Without their summary rows the instances' steps leave the totals.
    let nothing = Changes {
        added: &HashMap::default(),
        created: &HashSet::default(),
        absorbing: &HashSet::default(),
    };
    state::refresh(&tx, old.iter().copied(), &nothing, &mut live.steps)?;
    deleted.uncorrelated = tx
        .prepare_cached(
            "DELETE FROM events WHERE seq IN (SELECT seq FROM events INDEXED BY events_keyless_by_time
                                              WHERE instance IS NULL AND ts < ?1 LIMIT ?2)",
        )?
        .execute(rusqlite::params![before, KEYLESS_SLICE as i64])? as u64;
    let events = deleted.events + deleted.uncorrelated;
    tx.prepare_cached("UPDATE totals SET events = events - ?1, merges = merges - ?2")?
        .execute(rusqlite::params![events as i64, merges as i64])?;
    tx.commit()?;
    Ok((deleted, old))
}

#[cfg(test)]
mod tests {
    use super::super::EmbeddedStore;
    use crate::store::contract::{assert_same_process, keyed_event, order_events, recompute};
    use crate::store::Deleted;
    use crate::store::{InstanceQuery, StatsQuery, Store};
    use miner::time::HOUR;

    fn consistent(store: &EmbeddedStore) {
        let exact = recompute(store);
        assert_same_process(
            &store.process_stats(&StatsQuery::default()).unwrap(),
            &exact,
        );
        let overview = store.overview().unwrap();
        let uncorrelated = store.uncorrelated(u64::MAX >> 1).unwrap().len() as u64;
        assert_eq!(overview.events, exact.events + uncorrelated);
        assert_eq!(overview.instances, exact.cases);
    }

    #[test]
    fn old_instances_go_whole_and_what_remains_equals_a_recompute() {
        let dir = tempfile::tempdir().unwrap();
        let (config, events) = order_events(400);
        let store = EmbeddedStore::open(dir.path(), config.instances.clone()).unwrap();
        store.append(&events).unwrap();
        let all = InstanceQuery {
            limit: 100_000,
            ..Default::default()
        };
        let before = store.instances(&all).unwrap();
        let newest = before.instances.iter().map(|i| i.last_event).max().unwrap();
        let gone_keys: Vec<_> = before
            .instances
            .iter()
            .filter(|i| i.last_event < newest - 6 * HOUR)
            .flat_map(|i| store.instance(i.id).unwrap().unwrap().keys)
            .collect();
        let deleted = store.retain(6 * HOUR).unwrap();
        let after = store.instances(&all).unwrap();
        assert!(deleted.instances > 0 && after.total > 0, "{deleted:?}");
        assert_eq!(after.total + deleted.instances, before.total);
        for gone in before
            .instances
            .iter()
            .filter(|i| i.last_event < newest - 6 * HOUR)
        {
            assert_eq!(
                store.instance(gone.id).unwrap(),
                None,
                "{} deleted",
                gone.label
            );
        }
        // Kept instances are whole: their events and keys all there.
        for kept in &after.instances {
            let was = before.instances.iter().find(|i| i.id == kept.id).unwrap();
            assert_eq!(
                (kept.events, kept.first_event),
                (was.events, was.first_event)
            );
        }
        let left: std::collections::HashSet<_> = store.keys().unwrap().into_iter().collect();
        for key in &gone_keys {
            assert!(!left.contains(key), "{key} deleted with its instance");
        }
        consistent(&store);
        assert_eq!(
            store.retain(6 * HOUR).unwrap(),
            Deleted::default(),
            "nothing more to do"
        );
    }

    #[test]
    fn a_running_instance_stays_until_idle_past_the_horizon_and_its_key_starts_anew() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path(), Default::default()).unwrap();
        store
            .append(&[
                keyed_event("a1", 0, &[("order", "a")]),
                keyed_event("b1", 0, &[("order", "b")]),
                keyed_event("a2", 10 * HOUR, &[("order", "a")]),
            ])
            .unwrap();
        let deleted = store.retain(5 * HOUR).unwrap();
        assert_eq!((deleted.instances, deleted.events), (1, 1));
        let page = store.instances(&InstanceQuery::default()).unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(
            (page.instances[0].label.as_str(), page.instances[0].events),
            ("order=a", 2)
        );
        // The deleted order's key, seen again, begins a new instance of its own.
        store
            .append(&[keyed_event("b2", 11 * HOUR, &[("order", "b")])])
            .unwrap();
        let b = store
            .instances(&InstanceQuery {
                search: Some("order=b".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!((b.total, b.instances[0].events), (1, 1));
        consistent(&store);
    }

    #[test]
    fn events_without_a_key_go_once_older_than_the_horizon() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path(), Default::default()).unwrap();
        store
            .append(&[
                keyed_event("old", 0, &[]),
                keyed_event("new", 9 * HOUR, &[]),
                keyed_event("a", 10 * HOUR, &[("order", "a")]),
            ])
            .unwrap();
        let deleted = store.retain(5 * HOUR).unwrap();
        assert_eq!((deleted.instances, deleted.uncorrelated), (0, 1));
        let left: Vec<String> = store
            .uncorrelated(10)
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(left, ["new"]);
        let overview = store.overview().unwrap();
        assert_eq!((overview.events, overview.uncorrelated), (2, 1));
        consistent(&store);
    }

    #[test]
    fn an_interrupted_run_leaves_the_store_consistent_and_the_next_run_carries_on() {
        let dir = tempfile::tempdir().unwrap();
        let (config, events) = order_events(200);
        let store = EmbeddedStore::open(dir.path(), config.instances.clone()).unwrap();
        store.append(&events).unwrap();
        let before = store.overview().unwrap();
        store.execute_for_test(
            "CREATE TRIGGER crash BEFORE DELETE ON instances BEGIN SELECT RAISE(ABORT, 'killed'); END",
        );
        assert!(store.retain(HOUR).is_err());
        assert_eq!(
            store.overview().unwrap(),
            before,
            "the open slice was rolled back"
        );
        consistent(&store);
        store.execute_for_test("DROP TRIGGER crash");
        let deleted = store.retain(HOUR).unwrap();
        assert!(deleted.instances > 0);
        assert_eq!(
            store.overview().unwrap().instances,
            before.instances - deleted.instances
        );
        consistent(&store);
    }
}
