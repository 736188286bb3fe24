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
pub mod notion;
mod query;
mod seam;
mod stable_hash;
mod standing;
mod state_rows;
pub mod suggest;
mod test_double;
mod trace_codec;
pub mod wait_limits;

#[cfg(feature = "clickhouse")]
pub use clickhouse::ClickHouseStore;
pub use clickhouse_url::{ClickHouseUrl, Cluster};
pub use embedded::EmbeddedStore;
pub use query::{
    AppendReport, CaseFilter, CaseIds, DeadLetter, Deleted, HeldInMemory, InstanceDetail,
    InstanceOrder, InstancePage, InstanceQuery, InstanceStatus, InstanceSummary, KeyLink,
    MergeRecord, NotionQuery, ObjectAttribute, StatsQuery, StepStanding, StoreOverview,
};
pub use seam::{Store, StoreRead, StoreWrite};
#[cfg(test)]
pub(crate) use test_double::WriteDouble;

use crate::config::InstanceRules;
use crate::correlate::InstanceId;
use crate::CollectorError;
use std::sync::Arc;

/// Most merges followed from an absorbed id: a longer chain (or a cycle) is a damaged store.
const MAX_MERGE_HOPS: usize = 10_000;

/// How many of the newest keys [`StoreRead::key_kinds`] reads.
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

/// The configuration text saved with the store at `location` (see [`StoreWrite::save_rules`]),
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
