//! The case notion a map takes: the instances as correlated (an order with its payment and
//! shipment), one key kind (one case per order, or per payment, or per OCEL object of a type),
//! or every kind at once (the object-centric map, each kind's paths in its colour).
//!
//! The store answers each: the instances from its process state, a kind's cases from the
//! steps it keeps per key.

use crate::WebError;
use collector::store::{CaseFilter, NotionQuery, StatsQuery, Store};
use miner::discovery::ProcessStats;
use miner::notion::ObjectCentric;

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
pub struct NotionSource<'a> {
    store: &'a dyn Store,
    notion: CaseNotion,
    cases: CaseFilter,
}

impl<'a> NotionSource<'a> {
    /// The source of `notion` over the instances `cases` selects.
    pub fn read(store: &'a dyn Store, notion: &CaseNotion, cases: &CaseFilter) -> Self {
        Self {
            store,
            notion: notion.clone(),
            cases: cases.clone(),
        }
    }

    /// The statistics with only the activities in `keep` when given (hidden steps bridged),
    /// and for the every-kind notion each kind's paths (whose union the statistics are).
    pub fn stats(
        &self,
        keep: Option<Vec<String>>,
    ) -> Result<(ProcessStats, Option<ObjectCentric>), WebError> {
        let kind = match &self.notion {
            CaseNotion::Instances => {
                let stats = self.store.process_stats(&StatsQuery {
                    cases: self.cases.clone(),
                    activities: keep,
                })?;
                return Ok((stats, None));
            }
            CaseNotion::Kind(kind) => Some(kind.clone()),
            CaseNotion::EveryKind => None,
        };
        let every_kind = kind.is_none();
        let objects = self.store.notion_stats(&NotionQuery {
            kind,
            cases: self.cases.clone(),
            activities: keep,
        })?;
        Ok(if every_kind {
            (objects.union.clone(), Some(objects))
        } else {
            (objects.union, None)
        })
    }
}
