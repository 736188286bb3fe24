//! Contract checks of the process state a store keeps as events arrive: whatever the order,
//! batching, redelivery and late links, the statistics it answers equal a recompute from the
//! events it holds (counts, totals and means exactly; quantiles within the sketch's error).

use super::{config, event, events_of, flow, Factory};
use crate::store::{CaseFilter, InstanceQuery, InstanceStatus, KeyLink, StatsQuery, Store};
use fixtures::SplitMix64;
use miner::discovery::{CaseSteps, ProcessStats, ProcessStatsBuilder};
use miner::log::{BusinessKey, Lifecycle};
use miner::performance::{DurationStats, RELATIVE_ERROR};

/// A number below `n` (`n` > 0) from `rng`.
fn below(rng: &mut SplitMix64, n: usize) -> usize {
    rng.range(0, n as i64 - 1) as usize
}

/// The statistics of every instance, recomputed from the events the store returns.
pub fn recompute(store: &dyn Store) -> ProcessStats {
    let page = store
        .instances(&InstanceQuery {
            limit: u64::MAX >> 1,
            ..Default::default()
        })
        .unwrap();
    let ids: Vec<_> = page.instances.iter().map(|i| i.id).collect();
    let mut by_instance = store.events_of(&ids).unwrap();
    let mut builder = ProcessStatsBuilder::new();
    for id in ids {
        let events = by_instance.remove(&id).unwrap_or_default();
        let activities: Vec<u32> = events.iter().map(|e| builder.intern(&e.activity)).collect();
        let timestamps: Vec<_> = events.iter().map(|e| Some(e.timestamp)).collect();
        let lifecycles: Vec<_> = events
            .iter()
            .map(|e| Lifecycle::parse(e.transition()))
            .collect();
        let ends: Vec<_> = events.iter().map(|e| e.end()).collect();
        builder.add_steps(CaseSteps {
            activities: &activities,
            timestamps: &timestamps,
            lifecycles: &lifecycles,
            ends: &ends,
        });
    }
    builder.finish()
}

fn assert_times_close(what: &str, kept: &DurationStats, exact: &DurationStats) {
    assert_eq!(
        (kept.count, kept.total, kept.mean),
        (exact.count, exact.total, exact.mean),
        "{what}: count, total and mean are exact"
    );
    for (name, k, x) in [
        ("median", kept.median, exact.median),
        ("p95", kept.p95, exact.p95),
        ("min", kept.min, exact.min),
        ("max", kept.max, exact.max),
    ] {
        let allowed = RELATIVE_ERROR * x.abs() as f64 + 1.0;
        assert!(
            (k - x).abs() as f64 <= allowed,
            "{what} {name}: kept {k}, exact {x}"
        );
    }
}

/// Asserts that `kept` stands for the same cases as `exact`: every count equal, every
/// duration within the sketch's error.
pub fn assert_same_process(kept: &ProcessStats, exact: &ProcessStats) {
    assert_eq!((kept.cases, kept.events), (exact.cases, exact.events));
    assert_eq!(
        (kept.first_event, kept.last_event),
        (exact.first_event, exact.last_event)
    );
    assert_eq!(kept.start_activities, exact.start_activities);
    assert_eq!(kept.end_activities, exact.end_activities);
    assert_eq!(kept.variants, exact.variants);
    assert_times_close("throughput", &kept.throughput, &exact.throughput);
    assert_eq!(kept.activities.len(), exact.activities.len());
    for (k, x) in kept.activities.iter().zip(&exact.activities) {
        assert_eq!((&k.name, k.count, k.cases), (&x.name, x.count, x.cases));
        assert_times_close(&x.name, &k.time_to_next, &x.time_to_next);
        assert_times_close(&x.name, &k.service, &x.service);
        assert_times_close(&x.name, &k.waiting, &x.waiting);
    }
    assert_eq!(kept.edges.len(), exact.edges.len());
    for (k, x) in kept.edges.iter().zip(&exact.edges) {
        assert_eq!((k.from, k.to, k.count), (x.from, x.to, x.count));
        assert_times_close("edge", &k.duration, &x.duration);
    }
}

/// Checks the store's answers, unfiltered and through a filter that selects everything,
/// against a recompute.
fn check(store: &dyn Store) {
    let exact = recompute(store);
    assert_same_process(
        &store.process_stats(&StatsQuery::default()).unwrap(),
        &exact,
    );
    let everything = StatsQuery {
        cases: CaseFilter {
            from: Some(i64::MIN),
            ..Default::default()
        },
        activities: None,
    };
    assert_same_process(&store.process_stats(&everything).unwrap(), &exact);
    // The header's counts, kept as totals, agree with the instances listed by status.
    let overview = store.overview().unwrap();
    assert_eq!(overview.instances, exact.cases);
    for (status, &count) in InstanceStatus::ALL.iter().zip(&overview.by_status) {
        let listed = store
            .instances(&InstanceQuery {
                cases: CaseFilter::in_status(*status),
                limit: 1,
                ..Default::default()
            })
            .unwrap()
            .total;
        assert_eq!(count, listed, "{status:?}");
    }
    let uncorrelated = store.uncorrelated(u64::MAX >> 1).unwrap().len() as u64;
    assert_eq!(overview.events, exact.events + uncorrelated);
}

/// Shuffled batches of 1 to 1,000 events, redelivered batches and late relations merging
/// instances leave the store's statistics equal to a recompute from its events, all along.
pub(crate) fn keeps_process_state_equal_to_a_recompute(factory: Factory<'_>) {
    let config = config();
    let store = factory(&config);
    let mut events = events_of(&flow(300), &config);
    let mut rng = SplitMix64::new(0x9e37_79b9_7f4a_7c15);
    for i in (1..events.len()).rev() {
        events.swap(i, below(&mut rng, i + 1));
    }
    let sizes = [1, 2, 5, 40, 300, 1_000];
    let mut at = 0;
    while at < events.len() {
        let end = (at + sizes[below(&mut rng, sizes.len())]).min(events.len());
        store.append(&events[at..end]).unwrap();
        if below(&mut rng, 3) == 0 {
            let from = below(&mut rng, end);
            store.append(&events[from..end.min(from + 200)]).unwrap();
        }
        at = end;
        if below(&mut rng, 4) == 0 {
            check(&*store);
        }
    }
    check(&*store);
    // Late relations: orders joined to other orders merge whole instances.
    let order = |n: usize| BusinessKey::new("order", n.to_string());
    let links: Vec<KeyLink> = (1..40)
        .step_by(3)
        .map(|n| KeyLink::new(order(n), order(n + 1)))
        .collect();
    store.link(&links).unwrap();
    check(&*store);
}

/// Events arriving out of time order, and an instance's first event arriving last, keep the
/// totals equal to a recompute; so does an instance that gains a business key late.
pub(crate) fn keeps_process_state_through_late_events(factory: Factory<'_>) {
    let store = factory(&config());
    let keys = |order: &str| vec![("order", order.to_string())];
    let mut batches: Vec<Vec<_>> = Vec::new();
    for (id, activity, t, order) in [
        ("3", "Ship", 300, "a"),
        ("1", "Place", 100, "a"),
        ("2", "Pay", 200, "a"),
        ("5", "Pay", 260, "b"),
        ("4", "Place", 250, "b"),
        ("6", "Ship", 50, "b"),
    ] {
        let k = keys(order);
        let refs: Vec<(&str, &str)> = k.iter().map(|(a, b)| (*a, b.as_str())).collect();
        batches.push(vec![event(id, activity, t, &refs)]);
    }
    for batch in &batches {
        store.append(batch).unwrap();
        check(&*store);
    }
    // A payment seen first on its own, then linked to order a by an event carrying both.
    store
        .append(&[event("7", "Refund", 400, &[("payment", "p1")])])
        .unwrap();
    store
        .append(&[event(
            "8",
            "Settle",
            410,
            &[("payment", "p1"), ("order", "a")],
        )])
        .unwrap();
    check(&*store);
    assert_eq!(recompute(&*store).cases, 2);
}
