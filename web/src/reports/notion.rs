//! The case notion a map takes: the instances as correlated (an order with its payment and
//! shipment), one key kind (one case per order, or per payment, or per OCEL object of a type),
//! or every kind at once (the object-centric map, each kind's paths in its colour).
//!
//! The store answers each: the instances from its process state, a kind's cases from the
//! steps it keeps per key.

use crate::WebError;
use collector::store::notion::{shown_twice, PickActivities};
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

    /// The statistics with every activity and, when `keep` picks some of those, with only
    /// them: what a map draws. With the `slider` on, the store is asked for both at once (it
    /// selects the instances once, and may hold their keys for the second); otherwise `keep`
    /// rarely picks (beyond the most activities drawn), and the first is asked for alone.
    pub fn stats_shown(
        &self,
        keep: &PickActivities<'_>,
        slider: bool,
    ) -> Result<ShownStats, WebError> {
        let kind = match &self.notion {
            CaseNotion::Instances => {
                let full = self.store.process_stats(&StatsQuery {
                    cases: self.cases.clone(),
                    activities: None,
                })?;
                let shown = match keep(&full) {
                    Some(kept) => Some((
                        self.store.process_stats(&StatsQuery {
                            cases: self.cases.clone(),
                            activities: Some(kept),
                        })?,
                        None,
                    )),
                    None => None,
                };
                return Ok(ShownStats {
                    full: (full, None),
                    shown,
                });
            }
            CaseNotion::Kind(kind) => Some(kind.clone()),
            CaseNotion::EveryKind => None,
        };
        let every_kind = kind.is_none();
        let query = NotionQuery {
            kind,
            cases: self.cases.clone(),
            activities: None,
        };
        let (full, shown) = match slider {
            true => self.store.notion_stats_shown(&query, keep)?,
            false => shown_twice(self.store, &query, keep)?,
        };
        let with_kinds = |objects: ObjectCentric| {
            let union = objects.union.clone();
            (union, every_kind.then_some(objects))
        };
        Ok(ShownStats {
            full: with_kinds(full),
            shown: shown.map(with_kinds),
        })
    }
}

/// A map's statistics: with every activity, and with only those the slider keeps (none when
/// it keeps every one); each with each kind's paths for the every-kind notion.
pub struct ShownStats {
    /// With every activity.
    pub full: (ProcessStats, Option<ObjectCentric>),
    /// With the activities kept, when not every one.
    pub shown: Option<(ProcessStats, Option<ObjectCentric>)>,
}
