//! What the writer holds in memory: the live instances only, each with its keys and the ids
//! of its events, so that the collector's memory follows the number of instances in flight,
//! not the history.
//!
//! An instance leaves memory once it is completed, or idle (no event) for longer than
//! [`InstanceRules::evict_after`] before the newest event. When one of its keys reappears, the
//! store's key index finds it and it comes back whole — keys, event ids, standing — before
//! the batch is correlated, so no duplicate instance forms and merges stay right. Nothing is
//! read on open: a store of any size serves and consumes at once.

use super::known_ids::KnownIds;
use super::schema::{KEY_IN_GENERATION, NEWEST_KEY_GENERATION};
use super::state::StepCache;
use crate::config::InstanceRules;
use crate::correlate::{Correlator, InstanceId};
use crate::store::effects::Effects;
use crate::store::key_filter::{KeyFilter, Loader, StoredKeys};
use crate::store::stable_hash::stable_hash;
use crate::store::standing::{LastStep, Standings};
use crate::store::HeldInMemory;
use crate::CollectorError;
use foldhash::fast::RandomState;
use miner::log::BusinessKey;
use miner::time::Micros;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::collections::HashSet;

/// The live part of the key graph with the ids of its events.
pub struct Live {
    /// Keys of the instances in memory.
    pub correlator: Correlator,
    /// Ids of their stored events.
    pub known_ids: KnownIds,
    /// Their steps, as the process state keeps them.
    pub steps: StepCache,
    /// Which keys the store may hold, to skip looking up keys that are certainly new.
    stored_keys: StoredKeys,
    standings: Standings,
    /// SQLite's `data_version` when this memory was last in step with the database: another
    /// connection's commit changes it.
    data_version: i64,
}

impl Live {
    /// Nothing in memory yet: instance ids continue above the stored ones.
    pub fn open(conn: &Connection, rules: &InstanceRules) -> Result<Self, CollectorError> {
        // Instances held together by trace ids alone have no summary row: look at every use.
        let (max, newest): (Option<InstanceId>, Option<Micros>) = conn.query_row(
            "SELECT (SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM instances
                                         UNION ALL SELECT MAX(instance) FROM events
                                         UNION ALL SELECT MAX(instance) FROM keys)),
                    (SELECT MAX(last_ts) FROM instances)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut correlator = Correlator::new();
        correlator.reserve_through(max.unwrap_or(0));
        let data_version = conn.pragma_query_value(None, "data_version", |r| r.get(0))?;
        Ok(Self {
            correlator,
            known_ids: KnownIds::default(),
            steps: StepCache::default(),
            stored_keys: key_loader(conn).map_or(StoredKeys::Unavailable, StoredKeys::fill),
            standings: Standings::new(rules, newest),
            data_version,
        })
    }

    /// Starts afresh when another connection (another process writing the same store) has
    /// committed since this memory was in step: what it held may be stale, and is read back
    /// from the database as needed. Called inside a write transaction, where no other
    /// connection can commit.
    pub fn catch_up(
        &mut self,
        conn: &Connection,
        rules: &InstanceRules,
    ) -> Result<(), CollectorError> {
        let now: i64 = conn.pragma_query_value(None, "data_version", |r| r.get(0))?;
        if now != self.data_version {
            tracing::info!("embedded store: another process wrote to the store; reading what it changed back as needed");
            *self = Self::open(conn, rules)?;
        }
        Ok(())
    }

    /// Brings back into memory every stored instance one of `keys` belongs to, before a batch
    /// carrying them is correlated. A key held already costs a hash probe; a new one an index
    /// probe in the store.
    pub fn bring_back<'k>(
        &mut self,
        conn: &Connection,
        keys: impl IntoIterator<Item = &'k BusinessKey>,
    ) -> Result<(), CollectorError> {
        // Keys probed in this batch, as the hash of the value and the kind.
        let mut probed: HashSet<(i64, &str), RandomState> = HashSet::default();
        let mut find = conn.prepare_cached(&format!(
            "SELECT instance, kind, value FROM keys WHERE {KEY_IN_GENERATION}"
        ))?;
        let mut newest_generation = None;
        for key in keys {
            if self.correlator.instance_of(key).is_some() {
                continue;
            }
            let value_hash = stable_hash(&key.value);
            if !self.stored_keys.may_contain(value_hash)
                || !probed.insert((value_hash, key.kind.as_str()))
            {
                continue;
            }
            let newest = match newest_generation {
                Some(newest) => newest,
                None => *newest_generation.insert(
                    conn.query_row(NEWEST_KEY_GENERATION, [], |r| r.get::<_, Option<i64>>(0))?
                        .unwrap_or(0),
                ),
            };
            let stored = find_stored(&mut find, key, value_hash, newest)?;
            if let Some(instance) = stored.filter(|&i| !self.correlator.holds(i)) {
                self.revive(conn, instance)?;
            }
        }
        Ok(())
    }

    /// Loads a stored instance: its keys, its events' ids and where it stands.
    fn revive(&mut self, conn: &Connection, instance: InstanceId) -> Result<(), CollectorError> {
        let keys = conn
            .prepare_cached("SELECT kind, value FROM keys WHERE instance = ?1")?
            .query_map([instance], |r| {
                Ok(BusinessKey::new(
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        self.correlator.revive(instance, keys);
        self.known_ids.load_instance(conn, instance)?;
        let last: Option<(Micros, String)> = conn
            .prepare_cached("SELECT last_ts, last_activity FROM instances WHERE id = ?1")?
            .query_row([instance], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        self.standings
            .set(instance, last.as_ref().map(|(at, a)| (*at, a.as_str())));
        Ok(())
    }

    /// Records a committed batch: its merges, its events' ids (hash, position, instance) and
    /// where each instance it touched now stands (`last_steps`, as the process state found
    /// them); once enough were touched, evicts the instances completed or idle past the
    /// horizon.
    pub fn record(
        &mut self,
        conn: &Connection,
        effects: &Effects,
        stored: Vec<(i64, i64, Option<InstanceId>)>,
        last_steps: &[LastStep],
        newest: Option<Micros>,
    ) {
        for (merge, _) in &effects.merges {
            let survivor = effects.root(merge.survivor);
            self.known_ids.merge(survivor, merge.absorbed);
            self.standings.forget(merge.absorbed);
        }
        self.known_ids.extend(stored);
        for (key, _) in &effects.new_keys {
            self.stored_keys
                .insert(stable_hash(&key.value), || key_loader(conn));
        }
        for instance in self
            .standings
            .record(effects.touched_roots(), last_steps, newest)
        {
            self.evict(instance);
        }
    }

    /// Drops an instance from memory: its keys, event ids, steps and standing.
    pub fn evict(&mut self, instance: InstanceId) {
        self.standings.forget(instance);
        self.correlator.evict(instance);
        self.known_ids.forget(instance);
        self.steps.forget(instance);
    }

    /// What is held in memory.
    pub fn held(&self) -> HeldInMemory {
        HeldInMemory {
            instances: self.standings.len(),
            keys: self.correlator.key_count(),
            event_ids: self.known_ids.len(),
        }
    }
}

/// Reads the keys of the store in the database file behind `conn` (none for a store in
/// memory) from a connection of its own.
fn key_loader(conn: &Connection) -> Option<Loader> {
    let path = conn.path().filter(|p| !p.is_empty())?.to_owned();
    Some(Box::new(move || {
        let read = || -> rusqlite::Result<KeyFilter> {
            let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            let tx = conn.unchecked_transaction()?;
            let keys: i64 = tx.query_row("SELECT COUNT(*) FROM keys", [], |r| r.get(0))?;
            let mut filter = KeyFilter::with_capacity(keys as usize * 2);
            let mut stmt = tx.prepare("SELECT value_hash FROM keys")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                filter.insert(row.get(0)?);
            }
            Ok(filter)
        };
        read().map_err(|e| format!("embedded store: {e}"))
    }))
}

/// The instance `key` (whose value hashes to `value_hash`) is stored with, looked for
/// generation by generation from the newest, where keys that come back are most often.
fn find_stored(
    find: &mut rusqlite::CachedStatement<'_>,
    key: &BusinessKey,
    value_hash: i64,
    newest_generation: i64,
) -> Result<Option<InstanceId>, CollectorError> {
    for generation in (0..=newest_generation).rev() {
        let mut rows = find.query([generation, value_hash])?;
        while let Some(row) = rows.next()? {
            let same = |i, text: &str| row.get_ref(i).is_ok_and(|v| v.as_str() == Ok(text));
            if same(1, &key.kind) && same(2, &key.value) {
                return Ok(Some(row.get(0)?));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_key_is_found_in_any_generation() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("db")).unwrap();
        super::super::schema::prepare(&conn).unwrap();
        let stored = [(7_i64, "o-7"), (200_000, "o-200000")];
        for (instance, value) in stored {
            conn.execute(
                "INSERT INTO keys (kind, value, instance, value_hash) VALUES ('order', ?1, ?2, ?3)",
                rusqlite::params![value, instance, stable_hash(value)],
            )
            .unwrap();
        }
        let newest: i64 = conn
            .query_row(NEWEST_KEY_GENERATION, [], |r| r.get(0))
            .unwrap();
        let mut find = conn
            .prepare_cached(&format!(
                "SELECT instance, kind, value FROM keys WHERE {KEY_IN_GENERATION}"
            ))
            .unwrap();
        for (instance, value) in stored {
            let key = BusinessKey::new("order", value);
            let found = find_stored(&mut find, &key, stable_hash(value), newest).unwrap();
            assert_eq!(found, Some(instance), "{value}");
        }
        let other = BusinessKey::new("payment", "o-7");
        let found = find_stored(&mut find, &other, stable_hash("o-7"), newest).unwrap();
        assert_eq!(found, None, "same value, another kind");
    }
}
