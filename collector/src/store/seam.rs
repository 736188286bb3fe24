//! The store's seam, in two halves: sources only write ([`StoreWrite`]), the UI and the
//! exports only read ([`StoreRead`]); a [`Store`] is both. A source's test double therefore
//! stands in for the few writing calls alone.

use super::notion::PickActivities;
use super::{
    AppendReport, DeadLetter, Deleted, HeldInMemory, InstanceDetail, InstancePage, InstanceQuery,
    KeyLink, NotionQuery, ObjectAttribute, StatsQuery, StoreOverview,
};
use crate::correlate::InstanceId;
use crate::CollectorError;
use miner::discovery::ProcessStats;
use miner::log::{BusinessKey, Event};
use miner::notion::ObjectCentric;

/// What sources and commands write: events, key links, dead letters, object attributes, the
/// rules and model the store is read with, and retention.
pub trait StoreWrite: Send + Sync {
    /// Stores `events` durably, correlating them into instances. Events whose id is already
    /// stored are skipped (and counted), so re-delivery is harmless. All or nothing: on error
    /// none of the batch is kept.
    fn append(&self, events: &[Event]) -> Result<AppendReport, CollectorError>;

    /// Links pairs of business keys without an event (object-to-object relations of an
    /// object-centric log): their instances merge, now or when their events arrive. The links
    /// are kept, so an object-centric export can give them back.
    fn link(&self, links: &[KeyLink]) -> Result<AppendReport, CollectorError>;

    /// Keeps messages that could not become events. A message already kept (same topic,
    /// partition and offset) is skipped, so redelivery is harmless. Returns how many were new.
    fn dead_letter(&self, letters: &[DeadLetter]) -> Result<u64, CollectorError>;

    /// Keeps attribute values of objects (an OCEL import's object attributes, whose objects
    /// are business keys). A value already kept for the same object, name and time is
    /// replaced, so a re-import is harmless.
    fn set_object_attributes(&self, values: &[ObjectAttribute]) -> Result<(), CollectorError>;

    /// Keeps the configuration text (mapping and instance rules) the store is written with,
    /// replacing the one kept before, so that serving or exporting the store later without a
    /// configuration applies the same rules.
    fn save_rules(&self, text: &str) -> Result<(), CollectorError>;

    /// Keeps a reference model (BPMN 2.0 text, as uploaded on the Model page), replacing the
    /// one kept before, so that every reader of the store tracks instances against it.
    fn save_model(&self, bpmn: &str) -> Result<(), CollectorError>;

    /// Deletes the whole instances whose last event is more than `keep` older than the newest
    /// event, with everything kept of them (`[retention] keep`). A store that cannot says so.
    fn retain(&self, keep: miner::time::Micros) -> Result<Deleted, CollectorError> {
        let _ = keep;
        Err(CollectorError::Unsupported(
            "retention is not available on this store yet".into(),
        ))
    }

    /// Whether the latest write failed (a full disk, a server gone), which reads alone do not
    /// show: `/metrics` reports the store down until a write succeeds again.
    fn writes_failing(&self) -> bool {
        false
    }
}

/// What the UI, the exports and the commands ask of a store: answers computed next to the
/// data, never every event pulled out.
pub trait StoreRead: Send + Sync {
    /// Every business key the store knows (the objects of an object-centric view).
    fn keys(&self) -> Result<Vec<BusinessKey>, CollectorError>;

    /// The key kinds stored (order, payment, an OCEL object type), most carried first: the
    /// case notions a map can take. Read from the newest keys ([`super::KEY_KINDS_SAMPLE`]), so as
    /// cheap on a long history as on a short one.
    fn key_kinds(&self) -> Result<Vec<String>, CollectorError>;

    /// Up to `limit` attribute values the filter bar suggests, `name=value`, the most common
    /// first (`name=` alone for an attribute with too many values to list). The default
    /// samples the newest instances' events ([`super::suggest::sampled`]); a store that keeps
    /// a list of them answers from the whole history.
    fn attribute_suggestions(&self, limit: usize) -> Result<Vec<String>, CollectorError> {
        super::suggest::sampled(self, limit)
    }

    /// Every link stored by [`StoreWrite::link`].
    fn links(&self) -> Result<Vec<KeyLink>, CollectorError>;

    /// Directly-follows statistics, variants and throughput over the instances the query selects.
    fn process_stats(&self, query: &StatsQuery) -> Result<ProcessStats, CollectorError>;

    /// The statistics of a case notion over the events of the instances the query selects:
    /// each kind asked for with its cases (one per key value), and their union. The default
    /// reads those events; a store that keeps each key's steps answers from them.
    fn notion_stats(&self, query: &NotionQuery) -> Result<ObjectCentric, CollectorError> {
        super::notion::from_events(self, query)
    }

    /// A map's two sets of statistics of a case notion: with every activity (the query's own
    /// are ignored), and with only the activities `keep` picks from those (none when it picks
    /// every one). The default asks twice; a store that keeps each key's steps selects the
    /// instances and their keys once for both.
    fn notion_stats_shown(
        &self,
        query: &NotionQuery,
        keep: &PickActivities<'_>,
    ) -> Result<(ObjectCentric, Option<ObjectCentric>), CollectorError> {
        super::notion::shown_twice(self, query, keep)
    }

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

    /// The newest dead letters, newest first.
    fn dead_letters(&self, limit: u64) -> Result<Vec<DeadLetter>, CollectorError>;

    /// Every kept object attribute value, by object, then time, then name.
    fn object_attributes(&self) -> Result<Vec<ObjectAttribute>, CollectorError>;

    /// The configuration text kept by [`StoreWrite::save_rules`], if any.
    fn saved_rules(&self) -> Result<Option<String>, CollectorError>;

    /// The model kept by [`StoreWrite::save_model`], if any.
    fn saved_model(&self) -> Result<Option<String>, CollectorError>;

    /// The instance `id` now belongs to when it was merged into another (following later
    /// merges to the one that lives); none for an id that was never absorbed.
    fn merged_into(&self, id: InstanceId) -> Result<Option<InstanceId>, CollectorError>;

    /// Counts for the header of every page.
    fn overview(&self) -> Result<StoreOverview, CollectorError>;

    /// How many stored events the state kept beside the events (the embedded store's case
    /// notions and index of attribute values) has not followed yet, for `/metrics`; `None`
    /// for a store that keeps no such state.
    fn notions_behind(&self) -> Result<Option<u64>, CollectorError> {
        Ok(None)
    }

    /// How much the collector holds in memory for this store (live instances, their keys and
    /// their events' ids), for `/metrics`; `None` for a store that does not say.
    fn held_in_memory(&self) -> Option<HeldInMemory> {
        None
    }
}

/// A store: written by sources, read by the UI and exports.
pub trait Store: StoreRead + StoreWrite {}

impl<T: StoreRead + StoreWrite + ?Sized> Store for T {}
