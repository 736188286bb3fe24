//! Checks of where unfinished instances stand: each step's limit (configured, `stuck_after`,
//! or learned from history), the standings by step, and the list of those waiting at a step.

use super::{event, Factory};
use crate::config::StepSla;
use crate::store::wait_limits::{ClockKind, LimitSource, MIN_LEARNED_LIMIT};
use crate::store::{CaseFilter, InstanceOrder, InstanceQuery, InstanceStatus, StepStanding};
use crate::CollectorConfig;
use miner::time::{Micros, MINUTE};

/// Instance `n` placed at `placed`, its last step `step` at `at`.
fn order(n: usize, placed: Micros, step: &str, at: Micros) -> [miner::log::Event; 2] {
    let key = n.to_string();
    [
        event(&format!("{n}-placed"), "Placed", placed, &[("order", &key)]),
        event(&format!("{n}-{step}"), step, at, &[("order", &key)]),
    ]
}

fn standing<'a>(steps: &'a [StepStanding], step: &str) -> &'a StepStanding {
    steps
        .iter()
        .find(|s| s.step == step)
        .unwrap_or_else(|| panic!("no standing at {step}: {steps:?}"))
}

/// A step's own limit wins over `stuck_after`; the standings count, per step, the unfinished
/// instances there and those past the limit; the list of those standing at a step shows the
/// longest waiting first.
pub(crate) fn judges_each_step_by_its_own_limit(factory: Factory<'_>) {
    let mut config = CollectorConfig::parse("[instances]\nend_activities = [\"Done\"]").unwrap();
    config.instances.stuck_after = Some(100 * MINUTE);
    config.instances.step_limits = vec![StepSla {
        step: "Pick".into(),
        within: 10 * MINUTE,
    }];
    let store = factory(&config);
    let now = 1_000 * MINUTE;
    let mut events = Vec::new();
    // At Pick: waiting 5, 20 and 30 minutes (two past its 10 minutes).
    for (n, waited) in [(1, 5), (2, 20), (3, 30)] {
        events.extend(order(n, 0, "Pick", now - waited * MINUTE));
    }
    // At Pack: waiting 50 and 200 minutes (one past stuck_after's 100).
    for (n, waited) in [(4, 50), (5, 200)] {
        events.extend(order(n, 0, "Pack", now - waited * MINUTE));
    }
    events.extend(order(6, 0, "Done", now));
    store.append(&events).unwrap();

    let overview = store.overview().unwrap();
    assert_eq!(overview.clock.kind, ClockKind::NewestEvent);
    assert_eq!(overview.clock.now, now);
    assert_eq!(overview.by_status, [1, 2, 3]);
    let pick = standing(&overview.steps, "Pick");
    assert_eq!((pick.waiting, pick.stuck), (3, 2));
    assert_eq!(pick.limit.source, LimitSource::Configured);
    assert_eq!(pick.limit.within, 10 * MINUTE);
    let pack = standing(&overview.steps, "Pack");
    assert_eq!((pack.waiting, pack.stuck), (2, 1));
    assert_eq!(pack.limit.source, LimitSource::StuckAfter);
    assert!(overview.steps.iter().all(|s| s.step != "Done"));

    let stuck_at_pick = store
        .instances(&InstanceQuery {
            cases: CaseFilter::in_status(InstanceStatus::Stuck),
            at_step: Some("Pick".into()),
            order: InstanceOrder::LongestWaiting,
            ..Default::default()
        })
        .unwrap();
    let labels: Vec<&str> = stuck_at_pick
        .instances
        .iter()
        .map(|i| i.label.as_str())
        .collect();
    assert_eq!(labels, ["order=3", "order=2"]);
    assert_eq!(stuck_at_pick.total, 2);
    let at_done = store
        .instances(&InstanceQuery {
            at_step: Some("Done".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(at_done.total, 0, "a completed instance waits nowhere");
    let one = store
        .instance(stuck_at_pick.instances[1].id)
        .unwrap()
        .unwrap();
    assert_eq!(one.summary.status, InstanceStatus::Stuck);
}

/// Without `stuck_after`, a step's limit is the 95th percentile of the waits seen after it:
/// an instance waiting longer there is stuck, one waiting less is running.
pub(crate) fn learns_each_steps_limit_from_history(factory: Factory<'_>) {
    let config = CollectorConfig::parse("[instances]\nend_activities = [\"Done\"]").unwrap();
    let store = factory(&config);
    let mut events = Vec::new();
    // 40 finished orders waited 10..=49 minutes after Pick.
    for n in 0..40usize {
        let key = n.to_string();
        let wait = (10 + n as Micros) * MINUTE;
        events.push(event(&format!("{n}-pick"), "Pick", 0, &[("order", &key)]));
        events.push(event(
            &format!("{n}-done"),
            "Done",
            wait,
            &[("order", &key)],
        ));
    }
    let now = 1_000 * MINUTE;
    events.extend(order(100, 0, "Pick", now - 60 * MINUTE));
    events.extend(order(101, 0, "Pick", now - 30 * MINUTE));
    events.push(event("102-placed", "Placed", now, &[("order", "102")]));
    store.append(&events).unwrap();

    let overview = store.overview().unwrap();
    let pick = standing(&overview.steps, "Pick");
    assert!(
        matches!(pick.limit.source, LimitSource::Learned { waits } if waits >= 40),
        "{pick:?}"
    );
    assert!(
        (45 * MINUTE..=49 * MINUTE).contains(&pick.limit.within),
        "p95 of 10..=49 minutes: {pick:?}"
    );
    assert_eq!((pick.waiting, pick.stuck), (2, 1));
    let stuck = store
        .instances(&InstanceQuery {
            cases: CaseFilter::in_status(InstanceStatus::Stuck),
            ..Default::default()
        })
        .unwrap();
    let labels: Vec<&str> = stuck.instances.iter().map(|i| i.label.as_str()).collect();
    assert_eq!(labels, ["order=100"]);
    // Placed was followed by Pick a few times only: not enough to learn, so the fallback.
    let placed = standing(&overview.steps, "Placed");
    assert!(placed.limit.within >= MIN_LEARNED_LIMIT);
}
