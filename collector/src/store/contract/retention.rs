//! Contract checks of retention: whole instances older than the horizon go with everything
//! kept of them, running ones stay until idle past it, old events without a key go too, and
//! what remains equals a recompute.

use super::{keyed_event, order_events, Factory};
use crate::store::contract::{assert_same_process, recompute};
use crate::store::{Deleted, InstanceQuery, StatsQuery, Store};
use miner::time::HOUR;

/// The statistics, counts and instances of `store` agree with a recompute from its events.
pub fn consistent(store: &dyn Store) {
    let exact = recompute(store);
    assert_same_process(
        &store.process_stats(&StatsQuery::default()).unwrap(),
        &exact,
    );
    let overview = store.overview().unwrap();
    let uncorrelated = store.uncorrelated(u64::MAX >> 1).unwrap().len() as u64;
    assert_eq!(overview.events, exact.events + uncorrelated);
    assert_eq!(overview.instances, exact.cases);
}

pub(crate) fn retention_deletes_old_instances_whole(factory: Factory<'_>) {
    let (config, events) = order_events(400);
    let store = factory(&config);
    store.append(&events).unwrap();
    let all = InstanceQuery {
        limit: 100_000,
        ..Default::default()
    };
    let before = store.instances(&all).unwrap();
    let newest = before.instances.iter().map(|i| i.last_event).max().unwrap();
    let gone_keys: Vec<_> = before
        .instances
        .iter()
        .filter(|i| i.last_event < newest - 6 * HOUR)
        .flat_map(|i| store.instance(i.id).unwrap().unwrap().keys)
        .collect();
    let deleted = store.retain(6 * HOUR).unwrap();
    let after = store.instances(&all).unwrap();
    assert!(deleted.instances > 0 && after.total > 0, "{deleted:?}");
    assert_eq!(after.total + deleted.instances, before.total);
    for gone in before
        .instances
        .iter()
        .filter(|i| i.last_event < newest - 6 * HOUR)
    {
        assert_eq!(
            store.instance(gone.id).unwrap(),
            None,
            "{} deleted",
            gone.label
        );
    }
    // Kept instances are whole: their events and keys all there.
    for kept in &after.instances {
        let was = before.instances.iter().find(|i| i.id == kept.id).unwrap();
        assert_eq!(
            (kept.events, kept.first_event),
            (was.events, was.first_event)
        );
    }
    let left: std::collections::HashSet<_> = store.keys().unwrap().into_iter().collect();
    for key in &gone_keys {
        assert!(!left.contains(key), "{key} deleted with its instance");
    }
    consistent(store.as_ref());
    assert_eq!(
        store.retain(6 * HOUR).unwrap(),
        Deleted::default(),
        "nothing more to do"
    );
}

pub(crate) fn retention_spares_running_instances_until_idle(factory: Factory<'_>) {
    let store = factory(&Default::default());
    store
        .append(&[
            keyed_event("a1", 0, &[("order", "a")]),
            keyed_event("b1", 0, &[("order", "b")]),
            keyed_event("a2", 10 * HOUR, &[("order", "a")]),
        ])
        .unwrap();
    let deleted = store.retain(5 * HOUR).unwrap();
    assert_eq!((deleted.instances, deleted.events), (1, 1));
    let page = store.instances(&InstanceQuery::default()).unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(
        (page.instances[0].label.as_str(), page.instances[0].events),
        ("order=a", 2)
    );
    // The deleted order's key, seen again, begins a new instance of its own.
    store
        .append(&[keyed_event("b2", 11 * HOUR, &[("order", "b")])])
        .unwrap();
    let b = store
        .instances(&InstanceQuery {
            search: Some("order=b".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((b.total, b.instances[0].events), (1, 1));
    consistent(store.as_ref());
}

pub(crate) fn retention_deletes_old_keyless_events(factory: Factory<'_>) {
    let store = factory(&Default::default());
    store
        .append(&[
            keyed_event("old", 0, &[]),
            keyed_event("new", 9 * HOUR, &[]),
            keyed_event("a", 10 * HOUR, &[("order", "a")]),
        ])
        .unwrap();
    let deleted = store.retain(5 * HOUR).unwrap();
    assert_eq!((deleted.instances, deleted.uncorrelated), (0, 1));
    let left: Vec<String> = store
        .uncorrelated(10)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(left, ["new"]);
    let overview = store.overview().unwrap();
    assert_eq!((overview.events, overview.uncorrelated), (2, 1));
    consistent(store.as_ref());
}
