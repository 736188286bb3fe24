//! Case notions read from the events: the statistics of one key kind's cases (or of every
//! kind's, object-centric) over the events of the selected instances, as the miner flattens
//! them. What a store answers with when it keeps no steps per key, and the oracle the stores
//! that do are checked against.

use super::{InstanceQuery, NotionQuery, StoreRead};
use crate::CollectorError;
use miner::discovery::ProcessStats;
use miner::log::{Event, END_ATTRIBUTE, LIFECYCLE_ATTRIBUTE};
use miner::notion::{flatten, ObjectCentric};

/// Instances listed per page while the selection is read.
const PAGE: u64 = 100_000;
/// Instances whose events are read at once.
const CHUNK: usize = 1_000;

/// The notion's statistics from the events of the instances `query` selects.
pub fn from_events<S: StoreRead + ?Sized>(
    store: &S,
    query: &NotionQuery,
) -> Result<ObjectCentric, CollectorError> {
    let events = selected_events(store, query)?;
    let keep = query.activities.as_deref();
    Ok(match &query.kind {
        Some(kind) => one_kind(kind, ProcessStats::from_log(&flatten(&events, kind, keep))),
        None => ObjectCentric::of(&events, keep),
    })
}

/// A notion's statistics with every activity, and with only the activities `keep` picks from
/// those (none when it picks every one), asked as two queries.
pub fn shown_twice<S: StoreRead + ?Sized>(
    store: &S,
    query: &NotionQuery,
    keep: &PickActivities<'_>,
) -> Result<(ObjectCentric, Option<ObjectCentric>), CollectorError> {
    let full = store.notion_stats(&NotionQuery {
        activities: None,
        ..query.clone()
    })?;
    let shown = match keep(&full.union) {
        Some(kept) => Some(store.notion_stats(&NotionQuery {
            activities: Some(kept),
            ..query.clone()
        })?),
        None => None,
    };
    Ok((full, shown))
}

/// Picks the activities a map shows from the statistics with every activity (the activity
/// slider ranks them by frequency); none keeps every activity.
pub type PickActivities<'a> = dyn Fn(&ProcessStats) -> Option<Vec<String>> + Sync + 'a;

/// The object-centric form of a single kind's statistics: the kind alone, its union itself.
pub fn one_kind(kind: &str, stats: ProcessStats) -> ObjectCentric {
    ObjectCentric {
        kinds: vec![kind.to_string()],
        per_kind: vec![stats.clone()],
        union: stats,
    }
}

/// The events of the selected instances with only what makes a step (activity, time,
/// lifecycle, end, keys): a case notion is made of many instances.
fn selected_events<S: StoreRead + ?Sized>(
    store: &S,
    query: &NotionQuery,
) -> Result<Vec<Event>, CollectorError> {
    let mut ids = Vec::new();
    loop {
        let page = store.instances(&InstanceQuery {
            cases: query.cases.clone(),
            offset: ids.len() as u64,
            limit: PAGE,
            ..Default::default()
        })?;
        let full = page.instances.len() == PAGE as usize;
        ids.extend(page.instances.into_iter().map(|i| i.id));
        if !full {
            break;
        }
    }
    let mut events = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        for (_, of_instance) in store.events_of(chunk)? {
            events.extend(of_instance.into_iter().map(|mut e| {
                e.attributes
                    .retain(|name, _| name == LIFECYCLE_ATTRIBUTE || name == END_ATTRIBUTE);
                e
            }));
        }
    }
    Ok(events)
}
