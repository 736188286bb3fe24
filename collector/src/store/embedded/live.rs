//! What the writer holds in memory: the live instances only, each with its keys and the ids
//! of its events, so that the collector's memory follows the number of instances in flight,
//! not the history.
//!
//! An instance leaves memory once it is completed, or idle (no event) for longer than
//! [`InstanceRules::evict_after`] before the newest event. When one of its keys reappears, the
//! store's key index finds it and it comes back whole — keys, event ids, standing — before
//! the batch is correlated, so no duplicate instance forms and merges stay right. Nothing is
//! read on open: a store of any size serves and consumes at once.

use super::key_filter::StoredKeys;
use super::known_ids::KnownIds;
use super::stable_hash::stable_hash;
use super::state::{LastStep, StepCache};
use crate::config::InstanceRules;
use crate::correlate::{Correlator, InstanceId};
use crate::store::effects::Effects;
use crate::store::HeldInMemory;
use crate::CollectorError;
use foldhash::fast::RandomState;
use miner::log::BusinessKey;
use miner::time::Micros;
use rusqlite::{Connection, OptionalExtension};
use std::collections::{HashMap, HashSet};

/// Fewest instances touched between two sweeps for instances to evict: a sweep reads every
/// instance in memory, so it waits for a quarter of them, or this many, to be touched.
const SWEEP_AFTER: usize = 256;

/// Where an instance in memory stands.
#[derive(Debug, Clone, Copy)]
struct Standing {
    /// Its newest event time.
    last_ts: Micros,
    /// Its last activity is an end activity.
    ended: bool,
}

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
    standing: HashMap<InstanceId, Standing, RandomState>,
    /// The newest event time stored: the data's clock, against which idleness is measured.
    newest: Micros,
    touched_since_sweep: usize,
    evict_after: Micros,
    ends: HashSet<String, RandomState>,
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
            stored_keys: StoredKeys::fill(conn),
            standing: HashMap::default(),
            newest: newest.unwrap_or(Micros::MIN),
            touched_since_sweep: 0,
            evict_after: rules.evict_after,
            ends: rules.end_activities.iter().cloned().collect(),
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
        let mut find =
            conn.prepare_cached("SELECT instance, kind, value FROM keys WHERE value_hash = ?1")?;
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
            let mut stored = None;
            let mut rows = find.query([value_hash])?;
            while let Some(row) = rows.next()? {
                let same = |i, text: &str| row.get_ref(i).is_ok_and(|v| v.as_str() == Ok(text));
                if same(1, &key.kind) && same(2, &key.value) {
                    stored = Some(row.get::<_, InstanceId>(0)?);
                    break;
                }
            }
            drop(rows);
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
        let standing = self.read_standing(conn, instance)?;
        self.standing.insert(instance, standing);
        Ok(())
    }

    /// Where `instance` stands as stored; one without a summary row (held by trace ids
    /// alone) counts as seen now.
    fn read_standing(
        &self,
        conn: &Connection,
        instance: InstanceId,
    ) -> Result<Standing, CollectorError> {
        let row: Option<(Micros, String)> = conn
            .prepare_cached("SELECT last_ts, last_activity FROM instances WHERE id = ?1")?
            .query_row([instance], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(self.standing_of(row.as_ref().map(|(at, activity)| (*at, activity.as_str()))))
    }

    /// Where an instance with this last step (time, activity) stands; without one (held by
    /// trace ids alone), it counts as seen now.
    fn standing_of(&self, last: Option<(Micros, &str)>) -> Standing {
        match last {
            Some((last_ts, activity)) => Standing {
                last_ts,
                ended: self.ends.contains(activity),
            },
            None => Standing {
                last_ts: self.newest,
                ended: false,
            },
        }
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
            self.standing.remove(&merge.absorbed);
        }
        self.known_ids.extend(stored);
        for (key, _) in &effects.new_keys {
            self.stored_keys.insert(conn, stable_hash(&key.value));
        }
        if let Some(newest) = newest {
            self.newest = self.newest.max(newest);
        }
        let last: HashMap<InstanceId, (Micros, &str), RandomState> = last_steps
            .iter()
            .map(|s| (s.instance, (s.at, s.activity.as_str())))
            .collect();
        let touched = effects.touched_roots();
        self.touched_since_sweep += touched.len();
        for instance in touched {
            let standing = self.standing_of(last.get(&instance).copied());
            self.standing.insert(instance, standing);
        }
        if self.touched_since_sweep >= SWEEP_AFTER.max(self.standing.len() / 4) {
            self.sweep();
        }
    }

    /// Evicts the instances completed, or idle longer than the horizon.
    fn sweep(&mut self) {
        self.touched_since_sweep = 0;
        let idle_before = self.newest.saturating_sub(self.evict_after);
        let leaving: Vec<InstanceId> = self
            .standing
            .iter()
            .filter(|(_, s)| s.ended || s.last_ts < idle_before)
            .map(|(&i, _)| i)
            .collect();
        for instance in leaving {
            self.evict(instance);
        }
    }

    /// Drops an instance from memory: its keys, event ids, steps and standing.
    pub fn evict(&mut self, instance: InstanceId) {
        self.standing.remove(&instance);
        self.correlator.evict(instance);
        self.known_ids.forget(instance);
        self.steps.forget(instance);
    }

    /// What is held in memory.
    pub fn held(&self) -> HeldInMemory {
        HeldInMemory {
            instances: self.standing.len(),
            keys: self.correlator.key_count(),
            event_ids: self.known_ids.len(),
        }
    }
}
