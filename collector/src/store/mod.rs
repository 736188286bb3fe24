//! The event store: one trait, an embedded SQLite implementation for zero set-up, and one
//! contract test-suite every implementation must pass.
//!
//! The trait asks for *answers*, not rows: directly-follows statistics, variants and instance
//! pages are computed by the store, which is what lets a database do the heavy part.

#[cfg(feature = "clickhouse")]
pub mod clickhouse;
mod clickhouse_url;
mod contract;
mod effects;
pub mod embedded;
mod event_json;
mod key_filter;
mod query;
mod stable_hash;
mod standing;
mod state_rows;
mod trace_codec;
pub mod wait_limits;

#[cfg(feature = "clickhouse")]
pub use clickhouse::ClickHouseStore;
pub use clickhouse_url::{ClickHouseUrl, Cluster};
pub use embedded::EmbeddedStore;
pub use query::{
    AppendReport, CaseFilter, CaseIds, DeadLetter, Deleted, HeldInMemory, InstanceDetail,
    InstanceOrder, InstancePage, InstanceQuery, InstanceStatus, InstanceSummary, KeyLink,
    MergeRecord, ObjectAttribute, StatsQuery, StepStanding, StoreOverview,
};

use crate::config::InstanceRules;
use crate::correlate::InstanceId;
use crate::CollectorError;
use miner::discovery::ProcessStats;
use miner::log::{BusinessKey, Event};
use std::sync::Arc;

/// Most merges followed from an absorbed id: a longer chain (or a cycle) is a damaged store.
const MAX_MERGE_HOPS: usize = 10_000;

/// How many of the newest keys [`Store::key_kinds`] reads.
pub const KEY_KINDS_SAMPLE: u64 = 50_000;

/// Follows the merges from `id` to the instance that lives: `survivor` gives the instance an id
/// was absorbed into, if it was; none for an id never absorbed.
pub(crate) fn follow_merges<E>(
    id: InstanceId,
    mut survivor: impl FnMut(InstanceId) -> Result<Option<InstanceId>, E>,
) -> Result<Option<InstanceId>, CollectorError>
where
    CollectorError: From<E>,
{
    let mut at = id;
    for _ in 0..MAX_MERGE_HOPS {
        match survivor(at)? {
            Some(next) => at = next,
            None => return Ok((at != id).then_some(at)),
        }
    }
    Err(CollectorError::Corrupt(format!(
        "instance {id}: its merges do not end in a live instance"
    )))
}

/// Where events are kept and what can be asked of them.
pub trait Store: Send + Sync {
    /// Stores `events` durably, correlating them into instances. Events whose id is already
    /// stored are skipped (and counted), so re-delivery is harmless. All or nothing: on error
    /// none of the batch is kept.
    fn append(&self, events: &[Event]) -> Result<AppendReport, CollectorError>;

    /// Links pairs of business keys without an event (object-to-object relations of an
    /// object-centric log): their instances merge, now or when their events arrive. The links
    /// are kept, so an object-centric export can give them back.
    fn link(&self, links: &[KeyLink]) -> Result<AppendReport, CollectorError>;

    /// Every business key the store knows (the objects of an object-centric view).
    fn keys(&self) -> Result<Vec<BusinessKey>, CollectorError>;

    /// The key kinds stored (order, payment, an OCEL object type), most carried first: the
    /// case notions a map can take. Read from the newest keys ([`KEY_KINDS_SAMPLE`]), so as
    /// cheap on a long history as on a short one.
    fn key_kinds(&self) -> Result<Vec<String>, CollectorError>;

    /// Every link stored by [`Store::link`].
    fn links(&self) -> Result<Vec<KeyLink>, CollectorError>;

    /// Directly-follows statistics, variants and throughput over the instances the query selects.
    fn process_stats(&self, query: &StatsQuery) -> Result<ProcessStats, CollectorError>;

    /// A page of instances, newest activity first.
    fn instances(&self, query: &InstanceQuery) -> Result<InstancePage, CollectorError>;

    /// One instance with all its events in time order, its keys and the merges that formed it.
    fn instance(&self, id: InstanceId) -> Result<Option<InstanceDetail>, CollectorError>;

    /// The events of each of `ids`, in time order, keyed by instance (ids of no instance are
    /// left out): what an export of every instance reads, a page of instances at a time.
    fn events_of(
        &self,
        ids: &[InstanceId],
    ) -> Result<std::collections::HashMap<InstanceId, Vec<Event>>, CollectorError>;

    /// Events that carry no business key, newest first.
    fn uncorrelated(&self, limit: u64) -> Result<Vec<Event>, CollectorError>;

    /// Keeps messages that could not become events. A message already kept (same topic,
    /// partition and offset) is skipped, so redelivery is harmless. Returns how many were new.
    fn dead_letter(&self, letters: &[DeadLetter]) -> Result<u64, CollectorError>;

    /// The newest dead letters, newest first.
    fn dead_letters(&self, limit: u64) -> Result<Vec<DeadLetter>, CollectorError>;

    /// Keeps attribute values of objects (an OCEL import's object attributes, whose objects
    /// are business keys). A value already kept for the same object, name and time is
    /// replaced, so a re-import is harmless.
    fn set_object_attributes(&self, values: &[ObjectAttribute]) -> Result<(), CollectorError>;

    /// Every kept object attribute value, by object, then time, then name.
    fn object_attributes(&self) -> Result<Vec<ObjectAttribute>, CollectorError>;

    /// Keeps the configuration text (mapping and instance rules) the store is written with,
    /// replacing the one kept before, so that serving or exporting the store later without a
    /// configuration applies the same rules.
    fn save_rules(&self, text: &str) -> Result<(), CollectorError>;

    /// The configuration text kept by [`Store::save_rules`], if any.
    fn saved_rules(&self) -> Result<Option<String>, CollectorError>;

    /// Keeps a reference model (BPMN 2.0 text, as uploaded on the Model page), replacing the
    /// one kept before, so that every reader of the store tracks instances against it.
    fn save_model(&self, bpmn: &str) -> Result<(), CollectorError>;

    /// The model kept by [`Store::save_model`], if any.
    fn saved_model(&self) -> Result<Option<String>, CollectorError>;

    /// The instance `id` now belongs to when it was merged into another (following later
    /// merges to the one that lives); none for an id that was never absorbed.
    fn merged_into(&self, id: InstanceId) -> Result<Option<InstanceId>, CollectorError>;

    /// Counts for the header of every page.
    fn overview(&self) -> Result<StoreOverview, CollectorError>;

    /// Deletes the whole instances whose last event is more than `keep` older than the newest
    /// event, with everything kept of them (`[retention] keep`). A store that cannot says so.
    fn retain(&self, keep: miner::time::Micros) -> Result<Deleted, CollectorError> {
        let _ = keep;
        Err(CollectorError::Unsupported(
            "retention is not available on this store yet".into(),
        ))
    }

    /// How much the collector holds in memory for this store (live instances, their keys and
    /// their events' ids), for `/metrics`; `None` for a store that does not say.
    fn held_in_memory(&self) -> Option<HeldInMemory> {
        None
    }

    /// Whether the latest write failed (a full disk, a server gone), which reads alone do not
    /// show: `/metrics` reports the store down until a write succeeds again.
    fn writes_failing(&self) -> bool {
        false
    }
}

/// The configuration text saved with the store at `location` (see [`Store::save_rules`]),
/// read without opening the store, so that it can be opened with those rules. A store that
/// does not exist yet has none.
pub fn saved_rules_at(location: &str) -> Result<Option<String>, CollectorError> {
    if ClickHouseUrl::is_clickhouse(location) {
        saved_rules_in_clickhouse(location)
    } else if location.contains("://") {
        Ok(None)
    } else {
        EmbeddedStore::saved_rules_at(std::path::Path::new(location))
    }
}

/// Opens the store at `location` for a command that only reads it: as [`open`], but an
/// embedded store that does not exist yet is an error instead of being created.
pub fn open_existing(
    location: &str,
    rules: InstanceRules,
) -> Result<Arc<dyn Store>, CollectorError> {
    if !location.contains("://") && !EmbeddedStore::exists(std::path::Path::new(location)) {
        return Err(CollectorError::NoStore(location.to_string()));
    }
    open(location, rules)
}

/// Opens the store at `location`: a `clickhouse://HOST:PORT/DATABASE` address selects the
/// ClickHouse store, a path the directory of an embedded store (created if missing). Any
/// other `SCHEME://` is refused, naming the supported ones, so that a mistyped address never
/// becomes a local folder.
pub fn open(location: &str, rules: InstanceRules) -> Result<Arc<dyn Store>, CollectorError> {
    if let Some((scheme, _)) = location.split_once("://") {
        if !ClickHouseUrl::is_clickhouse(location) {
            return Err(CollectorError::StoreUrl {
                url: ClickHouseUrl::redacted(location),
                message: format!(
                    "unknown scheme {scheme}://: a store is a directory (the embedded store) or clickhouse://HOST:PORT/DATABASE"
                ),
            });
        }
    }
    if ClickHouseUrl::is_clickhouse(location) {
        open_clickhouse(location, rules)
    } else {
        Ok(Arc::new(EmbeddedStore::open(
            std::path::Path::new(location),
            rules,
        )?))
    }
}

#[cfg(feature = "clickhouse")]
fn open_clickhouse(location: &str, rules: InstanceRules) -> Result<Arc<dyn Store>, CollectorError> {
    Ok(Arc::new(ClickHouseStore::open(
        &ClickHouseUrl::parse(location)?,
        rules,
    )?))
}

#[cfg(feature = "clickhouse")]
fn saved_rules_in_clickhouse(location: &str) -> Result<Option<String>, CollectorError> {
    ClickHouseStore::saved_rules_at(&ClickHouseUrl::parse(location)?)
}

/// A build without the `clickhouse` feature refuses a ClickHouse address, saying why, rather
/// than taking it for a directory.
#[cfg(not(feature = "clickhouse"))]
fn open_clickhouse(location: &str, _: InstanceRules) -> Result<Arc<dyn Store>, CollectorError> {
    Err(without_clickhouse(location))
}

#[cfg(not(feature = "clickhouse"))]
fn saved_rules_in_clickhouse(location: &str) -> Result<Option<String>, CollectorError> {
    Err(without_clickhouse(location))
}

#[cfg(not(feature = "clickhouse"))]
fn without_clickhouse(location: &str) -> CollectorError {
    CollectorError::StoreUrl {
        url: ClickHouseUrl::redacted(location),
        message:
            "this flowsight was built without the ClickHouse store (cargo feature `clickhouse`)"
                .into(),
    }
}
