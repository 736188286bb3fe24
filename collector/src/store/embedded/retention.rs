//! Retention: whole instances whose last event is older than the horizon are deleted with
//! their events, keys, merges and process state, and so are the events without a key older
//! than the horizon, a slice at a time, so that ingest waits at most one slice and the
//! database file stops growing (SQLite reuses the freed pages). The keys deleted are listed in
//! `retired_keys` for the case notions to take out, and so is, in `sequence_rewinds`, a
//! deletion of the newest events, whose sequence numbers SQLite gives again.
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
    let newest_event = || -> rusqlite::Result<i64> {
        tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))
    };
    let newest_before = newest_event()?;
    let mut deleted = Deleted::default();
    let mut merges = 0;
    for &instance in &old {
        // Listed for the case notions, which keep steps per key row.
        tx.prepare_cached(
            "INSERT INTO retired_keys (key, kind, value) SELECT rowid, kind, value FROM keys WHERE instance = ?1",
        )?
        .execute([instance])?;
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
    // SQLite gives the sequence numbers of deleted newest events again: the case notions,
    // which follow the events by them, are told.
    let newest_after = newest_event()?;
    if newest_after < newest_before {
        tx.prepare_cached("INSERT INTO sequence_rewinds (below) VALUES (?1)")?
            .execute([newest_after])?;
    }
    let events = deleted.events + deleted.uncorrelated;
    tx.prepare_cached("UPDATE totals SET events = events - ?1, merges = merges - ?2")?
        .execute(rusqlite::params![events as i64, merges as i64])?;
    tx.commit()?;
    Ok((deleted, old))
}

#[cfg(test)]
mod tests {
    use super::super::EmbeddedStore;
    use crate::store::contract::{consistent, order_events};
    use crate::store::{StoreRead, StoreWrite};
    use miner::time::HOUR;

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
