//! Contract checks of case notions: a store's statistics of one case per key value (one kind,
//! or every kind with their union) equal the miner's flattening of the selected instances'
//! events, through out-of-order delivery, filters, the activity slider, retention, and a key
//! that comes back after retention deleted it.

use super::{assert_same_process, event, order_events, Factory};
use crate::store::notion::from_events;
use crate::store::{CaseFilter, InstanceQuery, InstanceStatus, NotionQuery, Store};
use miner::discovery::ProcessStats;
use miner::notion::ObjectCentric;
use miner::time::HOUR;

/// The store's answer to `query` equals the events' flattening.
fn same_as_the_events(store: &dyn Store, query: &NotionQuery) {
    let kept = store.notion_stats(query).unwrap();
    assert_same_objects(&kept, query, store);
}

/// `kept` equals the events' flattening for `query`.
fn assert_same_objects(kept: &ObjectCentric, query: &NotionQuery, store: &dyn Store) {
    let exact = from_events(store, query).unwrap();
    assert_eq!(kept.kinds, exact.kinds, "{query:?}");
    for (k, x) in kept.per_kind.iter().zip(&exact.per_kind) {
        assert_same_process(k, x);
    }
    assert_same_process(&kept.union, &exact.union);
}

/// The map's two sets of statistics asked at once equal the events' flattening: with every
/// activity, and with the two most frequent of those.
fn shown_as_the_events_flatten(store: &dyn Store, query: &NotionQuery) {
    let keep = |full: &ProcessStats| -> Option<Vec<String>> {
        let most = full.activities.get(..2)?;
        (most.len() < full.activities.len()).then(|| most.iter().map(|a| a.name.clone()).collect())
    };
    let (full, shown) = store.notion_stats_shown(query, &keep).unwrap();
    assert_same_objects(&full, query, store);
    let kept = keep(&full.union);
    assert_eq!(shown.is_some(), kept.is_some(), "{query:?}");
    if let (Some(shown), Some(kept)) = (shown, kept) {
        let projected = NotionQuery {
            activities: Some(kept),
            ..query.clone()
        };
        assert_same_objects(&shown, &projected, store);
    }
}

/// Each kind alone, every kind at once, through filters and the slider.
fn every_query(store: &dyn Store) -> usize {
    let kinds = [
        None,
        Some("order"),
        Some("payment"),
        Some("item"),
        Some("none"),
    ];
    let filters = [
        CaseFilter::default(),
        CaseFilter {
            with: vec!["PaymentFailedEvent".into()],
            ..Default::default()
        },
        CaseFilter::in_status(InstanceStatus::Completed),
        CaseFilter {
            attribute: Some(("carrier".into(), "parcel".into())),
            ..Default::default()
        },
    ];
    let slider = [
        None,
        Some(vec![
            "OrderPlacedEvent".into(),
            "PaymentReceivedEvent".into(),
            "ship".into(),
        ]),
    ];
    let mut checked = 0;
    for kind in kinds {
        for cases in &filters {
            for activities in &slider {
                let query = NotionQuery {
                    kind: kind.map(str::to_string),
                    cases: cases.clone(),
                    activities: activities.clone(),
                };
                same_as_the_events(store, &query);
                if activities.is_none() {
                    shown_as_the_events_flatten(store, &query);
                }
                checked += 1;
            }
        }
    }
    checked
}

/// A time range with both ends selects the instances with an event inside it, not one that
/// spans it with none (its first and last times alone do not tell); a range with one end is
/// decided by those times.
fn time_ranges_as_the_events_flatten(store: &dyn Store) {
    let all = InstanceQuery {
        limit: 100_000,
        ..Default::default()
    };
    let (spanning, from, to) = store
        .instances(&all)
        .unwrap()
        .instances
        .iter()
        .find_map(|instance| {
            let events = store.instance(instance.id).unwrap()?.events;
            let gap = events
                .windows(2)
                .find(|pair| pair[1].timestamp - pair[0].timestamp > 2)?;
            Some((instance.id, gap[0].timestamp + 1, gap[1].timestamp))
        })
        .expect("an instance with time between two of its events");
    let inside = CaseFilter {
        from: Some(from),
        to: Some(to),
        ..Default::default()
    };
    let listed = InstanceQuery {
        cases: inside.clone(),
        ..all
    };
    let listed = store.instances(&listed).unwrap().instances;
    assert!(listed.iter().all(|i| i.id != spanning), "no event inside");
    let one_end = [
        CaseFilter {
            to: None,
            ..inside.clone()
        },
        CaseFilter {
            from: None,
            ..inside.clone()
        },
    ];
    for cases in one_end.into_iter().chain([inside]) {
        for kind in [None, Some("order".to_string())] {
            let query = NotionQuery {
                kind,
                cases: cases.clone(),
                activities: None,
            };
            same_as_the_events(store, &query);
            shown_as_the_events_flatten(store, &query);
        }
    }
}

/// Orders with their payments, delivered newest batch first; and an order of two items (one
/// event carrying both, one carrying one item twice).
pub(crate) fn answers_case_notions_as_the_events_flatten(factory: Factory<'_>) {
    let (config, mut events) = order_events(300);
    let store = factory(&config);
    let newest = events.iter().map(|e| e.timestamp).max().unwrap();
    events.extend([
        event(
            "i-1",
            "place",
            newest - 3,
            &[("order", "x"), ("item", "1"), ("item", "2")],
        ),
        event("i-2", "pick", newest - 1, &[("item", "2"), ("item", "2")]),
        event("i-3", "pick", newest - 2, &[("item", "1")]),
        event(
            "i-4",
            "ship",
            newest,
            &[("order", "x"), ("item", "1"), ("item", "2")],
        ),
    ]);
    for batch in events.rchunks(250) {
        store.append(batch).unwrap();
    }
    assert_eq!(every_query(store.as_ref()), 40);
    time_ranges_as_the_events_flatten(store.as_ref());
    let payments = store
        .notion_stats(&NotionQuery {
            kind: Some("payment".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(payments.per_kind[0].cases > 100, "one case per payment");
    let items = store
        .notion_stats(&NotionQuery {
            kind: Some("item".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((items.union.cases, items.union.events), (2, 6));
}

/// Retention takes the deleted instances' keys out of the notions, and a key that comes back
/// afterwards is a new case.
pub(crate) fn case_notions_follow_retention(factory: Factory<'_>) {
    let (config, events) = order_events(300);
    let store = factory(&config);
    store.append(&events).unwrap();
    let everything = NotionQuery::default();
    let before = store.notion_stats(&everything).unwrap();
    let all = InstanceQuery {
        limit: 100_000,
        ..Default::default()
    };
    let instances = store.instances(&all).unwrap().instances;
    let newest = instances.iter().map(|i| i.last_event).max().unwrap();
    let gone = instances
        .iter()
        .filter(|i| i.last_event < newest - 6 * HOUR)
        .min_by_key(|i| i.last_event)
        .unwrap();
    let gone_key = store.instance(gone.id).unwrap().unwrap().keys[0].clone();
    assert!(store.retain(6 * HOUR).unwrap().instances > 0);
    let after = store.notion_stats(&everything).unwrap();
    assert!(after.union.cases < before.union.cases);
    assert_eq!(every_query(store.as_ref()), 40);
    store
        .append(&[event(
            "back",
            "OrderPlacedEvent",
            newest,
            &[(gone_key.kind.as_str(), gone_key.value.as_str())],
        )])
        .unwrap();
    let back = store
        .notion_stats(&NotionQuery {
            kind: Some(gone_key.kind.clone()),
            cases: CaseFilter {
                key: Some(gone_key.clone()),
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (back.union.cases, back.union.events),
        (1, 1),
        "only the new event"
    );
    assert_eq!(every_query(store.as_ref()), 40);
}
