//! The case notion a map takes: the instances as correlated (an order with its payment and
//! shipment), one key kind (one case per order, or per payment, or per OCEL object of a type),
//! or every kind at once (the object-centric map, each kind's paths in its colour).
//!
//! A kind's cases are made from the events of the selected instances, read when asked: the
//! store keeps its running process state per instance, not per key.

use super::{for_each_instance, Selection};
use crate::WebError;
use collector::store::{CaseFilter, StatsQuery, Store};
use miner::discovery::ProcessStats;
use miner::log::{Event, END_ATTRIBUTE, LIFECYCLE_ATTRIBUTE};
use miner::notion::{flatten, ObjectCentric};

/// The parameter value asking for every kind at once (the object-centric map).
pub const EVERY_KIND: &str = "*";

/// Which cases a map is made of.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CaseNotion {
    /// The instances as correlated by their keys.
    #[default]
    Instances,
    /// One case per value of this key kind.
    Kind(String),
    /// Every key kind's cases, each kind's paths apart.
    EveryKind,
}

impl CaseNotion {
    /// Reads the `notion` parameter: empty for instances, [`EVERY_KIND`], or a key kind.
    pub fn parse(text: Option<&str>) -> Self {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Self::Instances,
            Some(EVERY_KIND) => Self::EveryKind,
            Some(kind) => Self::Kind(kind.to_string()),
        }
    }
}

/// Where a map's statistics come from under a case notion.
pub enum NotionSource<'a> {
    /// The store's process state, per instance.
    Instances(&'a dyn Store, Box<CaseFilter>),
    /// The events of the selected instances, regrouped by one key kind.
    Kind(Vec<Event>, String),
    /// The events of the selected instances, regrouped by every key kind.
    EveryKind(Vec<Event>),
}

impl<'a> NotionSource<'a> {
    /// The source of `notion` over the instances `cases` selects (their events read now,
    /// unless the notion is the instances themselves).
    pub fn read(
        store: &'a dyn Store,
        notion: &CaseNotion,
        cases: &CaseFilter,
    ) -> Result<Self, WebError> {
        let events = || -> Result<Vec<Event>, WebError> {
            let selection = Selection {
                cases: cases.clone(),
                ..Default::default()
            };
            let mut events = Vec::new();
            for_each_instance(store, &selection, |_, of_instance| {
                // Only what makes a step is kept: a case notion is made of many instances.
                events.extend(of_instance.into_iter().map(|mut e| {
                    e.attributes
                        .retain(|name, _| name == LIFECYCLE_ATTRIBUTE || name == END_ATTRIBUTE);
                    e
                }));
                Ok(())
            })?;
            Ok(events)
        };
        Ok(match notion {
            CaseNotion::Instances => Self::Instances(store, Box::new(cases.clone())),
            CaseNotion::Kind(kind) => Self::Kind(events()?, kind.clone()),
            CaseNotion::EveryKind => Self::EveryKind(events()?),
        })
    }

    /// The statistics with only the activities in `keep` when given (hidden steps bridged),
    /// and for the every-kind notion each kind's paths (whose union the statistics are).
    pub fn stats(
        &self,
        keep: Option<Vec<String>>,
    ) -> Result<(ProcessStats, Option<ObjectCentric>), WebError> {
        Ok(match self {
            Self::Instances(store, cases) => (
                store.process_stats(&StatsQuery {
                    cases: cases.as_ref().clone(),
                    activities: keep,
                })?,
                None,
            ),
            Self::Kind(events, kind) => (
                ProcessStats::from_log(&flatten(events, kind, keep.as_deref())),
                None,
            ),
            Self::EveryKind(events) => {
                let objects = ObjectCentric::of(events, keep.as_deref());
                (objects.union.clone(), Some(objects))
            }
        })
    }
}
