//! Retention in ClickHouse: whole instances whose last event is older than the horizon go with
//! their events, ids, keys, merges and process state; so do older events without a key.
//!
//! The horizon is measured against the newest event, as in the embedded store. A step deletes
//! a slice of instances: it is marked in `correlation` as a batch first, then the rows go by
//! mutations on every shard's own tables (waited for), and the state takes them out of its totals last and marks the batch
//! done. A crash in between leaves a state behind its correlation, built again from the events
//! that remain on open; the next run carries on.

use super::db::Db;
use super::sql::{retention as sql, state as state_sql};
use super::state::TraceRow;
use crate::correlate::InstanceId;
use crate::CollectorError;
use clickhouse::Row;
use miner::time::Micros;
use serde::Deserialize;
use std::time::{Duration, Instant};

/// Instances deleted per step.
pub const SLICE: u64 = 1_000;
/// Events without a key deleted per step.
const KEYLESS_SLICE: u64 = 10_000;
/// How long deletions may take before the run counts as failed.
const MUTATION_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Row, Deserialize)]
struct KeylessRow {
    n: u64,
    newest: i64,
}

/// The time before which instances and events are old: `keep` before the newest event (of an
/// instance or without a key); none when nothing is stored.
pub fn horizon(db: &Db, keep: Micros) -> Result<Option<Micros>, CollectorError> {
    let latest = super::state::latest(db)?;
    let keyless: KeylessRow = db.fetch_one(sql::keyless_newest())?;
    let keyless = (keyless.n > 0).then_some(keyless.newest);
    Ok(latest.max(keyless).map(|t| t.saturating_sub(keep)))
}

/// The next slice of old instances.
pub fn old_instances(db: &Db, before: Micros) -> Result<Vec<InstanceId>, CollectorError> {
    db.fetch(sql::old_instances(before, SLICE))
}

/// The current state rows of `instances`.
pub fn rows_of(db: &Db, instances: Vec<InstanceId>) -> Result<Vec<TraceRow>, CollectorError> {
    db.fetch(state_sql::traces_of(instances))
}

/// Deletes everything stored under `members` (old instances and those they absorbed): their
/// events' ids, events, key graph rows and state rows, on every shard.
pub fn delete_instances(db: &Db, members: Vec<InstanceId>) -> Result<(), CollectorError> {
    let ids: Vec<String> = db.fetch(sql::ids_of(members.clone()))?;
    if !ids.is_empty() {
        db.execute_on_shards("event_ids", |t| sql::delete_ids(t, ids.clone(), "1"))?;
    }
    for table in ["events", "correlation", "state_traces"] {
        db.execute_on_shards(table, |t| {
            sql::delete_rows_of(t, "instance", members.clone())
        })?;
    }
    wait_for_mutations(db)
}

/// How many events without a key are older than `before`.
pub fn old_keyless(db: &Db, before: Micros) -> Result<u64, CollectorError> {
    db.fetch_one(sql::old_keyless(before))
}

/// Deletes the events without a key older than `before`, a slice of ids at a time; returns
/// how many went.
pub fn delete_keyless(db: &Db, before: Micros) -> Result<u64, CollectorError> {
    let mut deleted = 0;
    loop {
        let ids: Vec<String> = db.fetch(sql::old_keyless_ids(before, KEYLESS_SLICE))?;
        if ids.is_empty() {
            return Ok(deleted);
        }
        deleted += ids.len() as u64;
        db.execute_on_shards("event_ids", |t| sql::delete_ids(t, ids.clone(), "1"))?;
        db.execute_on_shards("events", |t| {
            sql::delete_ids(t, ids.clone(), "instance = 0")
        })?;
        wait_for_mutations(db)?;
    }
}

/// Waits until no mutation of the database is running on any shard.
fn wait_for_mutations(db: &Db) -> Result<(), CollectorError> {
    let started = Instant::now();
    loop {
        let running = db.fetch_on_shards(sql::running_mutations())?;
        if running == 0 {
            return Ok(());
        }
        if started.elapsed() > MUTATION_TIMEOUT {
            return Err(CollectorError::Internal(format!(
                "clickhouse store: {running} deletions still running after {} s",
                MUTATION_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
