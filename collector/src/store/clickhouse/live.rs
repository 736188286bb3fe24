//! What the ClickHouse writer holds in memory: the live instances only, each with its keys and
//! the instances it absorbed, so that the collector's memory follows the instances in flight,
//! not the history, and opening a store reads nothing of it.
//!
//! As in the embedded store, an instance leaves memory once completed or idle past
//! [`crate::config::InstanceRules::evict_after`]; when one of its keys reappears, the
//! `correlation` table finds it and it comes back whole (its keys, its members, where it
//! stands) before the batch is correlated, so no duplicate instance forms and merges stay right.

use super::db::Db;
use super::sql::{recall, state as state_sql};
use super::state::TraceRow;
use super::write::RootRow;
use crate::config::InstanceRules;
use crate::correlate::{Correlator, InstanceId};
use crate::store::effects::Effects;
use crate::store::key_filter::{KeyFilter, Loader, StoredKeys};
use crate::store::stable_hash::stable_hash;
use crate::store::standing::{LastStep, Standings};
use crate::store::ClickHouseUrl;
use crate::store::HeldInMemory;
use crate::CollectorError;
use clickhouse::Row;
use miner::log::BusinessKey;
use miner::time::Micros;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

#[derive(Row, Deserialize)]
struct OwnedKeyRow {
    kind: String,
    value: String,
    owner: i64,
}

/// The live part of the key graph.
pub struct LiveGraph {
    /// Keys of the instances in memory.
    pub correlator: Correlator,
    /// The instances absorbed into each instance in memory (its events and keys are stored
    /// under their ids too).
    pub absorbed: HashMap<InstanceId, Vec<InstanceId>>,
    standings: Standings,
    /// Which keys the store may hold, to skip looking up keys that are certainly new.
    stored_keys: StoredKeys,
    url: ClickHouseUrl,
}

impl LiveGraph {
    /// Nothing in memory yet: instance ids continue after `highest`; `newest` is the newest
    /// event time stored. The filter of stored keys fills from `url` meanwhile.
    pub fn open(
        url: &ClickHouseUrl,
        rules: &InstanceRules,
        highest: InstanceId,
        newest: Option<Micros>,
    ) -> Self {
        let mut correlator = Correlator::new();
        correlator.reserve_through(highest);
        Self {
            correlator,
            absorbed: HashMap::new(),
            standings: Standings::new(rules, newest),
            stored_keys: StoredKeys::fill(key_loader(url)),
            url: url.clone(),
        }
    }

    /// Brings back into memory every stored instance one of `keys` belongs to, before a batch
    /// carrying them is correlated: one lookup for the keys not held, and for the instances
    /// found, their members and keys.
    pub fn bring_back<'k>(
        &mut self,
        db: &Db,
        keys: impl IntoIterator<Item = &'k BusinessKey>,
    ) -> Result<(), CollectorError> {
        let missing: HashSet<&BusinessKey> = keys
            .into_iter()
            .filter(|k| {
                self.correlator.instance_of(k).is_none()
                    && self.stored_keys.may_contain(stable_hash(&k.value))
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let values: Vec<String> = missing
            .iter()
            .map(|k| k.value.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let owners: Vec<InstanceId> = db
            .fetch::<OwnedKeyRow>(recall::stored_keys(values))?
            .into_iter()
            .filter(|r| missing.contains(&BusinessKey::new(r.kind.clone(), r.value.clone())))
            .map(|r| r.owner)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if owners.is_empty() {
            return Ok(());
        }
        let moved: HashMap<InstanceId, InstanceId> = db
            .fetch::<RootRow>(recall::roots_of(owners.clone()))?
            .into_iter()
            .map(|r| (r.instance, r.root))
            .collect();
        let roots: Vec<InstanceId> = owners
            .iter()
            .map(|o| moved.get(o).copied().unwrap_or(*o))
            .filter(|r| !self.correlator.holds(*r))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if !roots.is_empty() {
            self.revive(db, roots)?;
        }
        Ok(())
    }

    /// Loads stored instances: their members, keys and where they stand.
    fn revive(&mut self, db: &Db, roots: Vec<InstanceId>) -> Result<(), CollectorError> {
        let mut root_of: HashMap<InstanceId, InstanceId> = roots.iter().map(|&r| (r, r)).collect();
        for row in db.fetch::<RootRow>(recall::members_of(roots.clone()))? {
            root_of.insert(row.instance, row.root);
            self.absorbed
                .entry(row.root)
                .or_default()
                .push(row.instance);
        }
        let mut keys: HashMap<InstanceId, Vec<BusinessKey>> = HashMap::new();
        for row in db.fetch::<OwnedKeyRow>(recall::keys_of(root_of.keys().copied().collect()))? {
            if let Some(&root) = root_of.get(&row.owner) {
                keys.entry(root)
                    .or_default()
                    .push(BusinessKey::new(row.kind, row.value));
            }
        }
        let standing: HashMap<InstanceId, TraceRow> = db
            .fetch::<TraceRow>(state_sql::traces_of(roots.clone()))?
            .into_iter()
            .filter(|r| r.events > 0)
            .map(|r| (r.instance, r))
            .collect();
        for root in roots {
            self.correlator
                .revive(root, keys.remove(&root).unwrap_or_default());
            let last = standing
                .get(&root)
                .map(|r| (r.last_ts, r.last_activity.as_str()));
            self.standings.set(root, last);
        }
        Ok(())
    }

    /// Records a stored batch (its effects, the last steps of the instances it touched and its
    /// newest event), evicting the instances completed or idle past the horizon once a sweep
    /// is due.
    pub fn record(&mut self, effects: &Effects, last_steps: &[LastStep], newest: Option<Micros>) {
        for (merge, _) in &effects.merges {
            self.standings.forget(merge.absorbed);
        }
        for (key, _) in &effects.new_keys {
            let url = &self.url;
            self.stored_keys
                .insert(stable_hash(&key.value), || Some(key_loader(url)));
        }
        for instance in self
            .standings
            .record(effects.touched_roots(), last_steps, newest)
        {
            self.evict(instance);
        }
    }

    /// Drops an instance from memory.
    pub fn evict(&mut self, instance: InstanceId) {
        self.standings.forget(instance);
        self.correlator.evict(instance);
        self.absorbed.remove(&instance);
    }

    /// What is held in memory (no event ids: the store looks them up).
    pub fn held(&self) -> HeldInMemory {
        HeldInMemory {
            instances: self.standings.len(),
            keys: self.correlator.key_count(),
            event_ids: 0,
        }
    }
}

/// Reads the value of every stored key from a connection of its own.
fn key_loader(url: &ClickHouseUrl) -> Loader {
    let url = url.clone();
    Box::new(move || {
        let read = || -> Result<KeyFilter, CollectorError> {
            let db = Db::connect(&url)?;
            let keys: u64 = db.fetch_one(recall::count_keys())?;
            let mut filter = KeyFilter::with_capacity(keys as usize * 2);
            db.for_each::<String>(recall::key_values(), |value| {
                filter.insert(stable_hash(&value))
            })?;
            Ok(filter)
        };
        read().map_err(|e| format!("clickhouse store: {e}"))
    })
}
