//! The contract every [`Store`] implementation must honour, as one test-suite.
//!
//! Each check takes a fresh, empty store from a factory, so the same suite runs against the
//! embedded store and any other backend.

#![cfg(test)]

use super::{CaseFilter, DeadLetter, InstanceQuery, InstanceStatus, KeyLink, StatsQuery, Store};
use crate::mapping::map_event;
use crate::CollectorConfig;
use fixtures::{generate, GeneratedFlow, OrderOutcome, Scenario, ORDER_FLOW_CONFIG};
use miner::discovery::ProcessStats;
use miner::formats::summary::LogSummary;
use miner::log::{BusinessKey, Event, EventLogBuilder};

mod drill;
mod eviction;
mod merges;
mod notions;
mod retention;
mod saved;
mod state;
mod waits;

pub(crate) use drill::{
    drills_down_to_the_instances_behind_a_step, filters_instances_and_statistics_alike,
};
pub(crate) use eviction::{
    a_store_that_forgets_idle_instances_answers_as_one_that_keeps_them,
    an_evicted_instance_comes_back_whole_when_a_key_reappears,
};
pub(crate) use merges::merges_instances_on_a_late_link;
pub(crate) use notions::{
    answers_case_notions_as_the_events_flatten, case_notions_follow_retention,
};
pub(crate) use retention::{
    consistent, retention_deletes_old_instances_whole, retention_deletes_old_keyless_events,
    retention_spares_running_instances_until_idle,
};
pub(crate) use saved::{
    keeps_object_attributes_over_time, keeps_the_model_uploaded_last,
    keeps_the_rules_it_is_written_with,
};
pub(crate) use state::{
    assert_same_process, keeps_process_state_equal_to_a_recompute,
    keeps_process_state_through_late_events, recompute,
};
pub(crate) use waits::{judges_each_step_by_its_own_limit, learns_each_steps_limit_from_history};

/// A factory of fresh empty stores configured with `config`'s instance rules.
pub type Factory<'a> = &'a dyn Fn(&CollectorConfig) -> Box<dyn Store>;

fn config() -> CollectorConfig {
    CollectorConfig::parse(ORDER_FLOW_CONFIG).expect("demo config parses")
}

fn flow(orders: usize) -> GeneratedFlow {
    generate(&Scenario {
        orders,
        ..Scenario::default()
    })
}

fn events_of(flow: &GeneratedFlow, config: &CollectorConfig) -> Vec<Event> {
    flow.events
        .iter()
        .map(|e| {
            let value = serde_json::to_value(e).unwrap();
            map_event(&config.mapping, value, b"", "test").unwrap()
        })
        .collect()
}

/// The configuration of the generated order flow and `orders` orders' events mapped with it.
pub fn order_events(orders: usize) -> (CollectorConfig, Vec<Event>) {
    let config = config();
    let events = events_of(&flow(orders), &config);
    (config, events)
}

/// An event of activity `id` in upper case, at `t`, carrying `keys`.
pub fn keyed_event(id: &str, t: i64, keys: &[(&str, &str)]) -> Event {
    event(id, &id.to_uppercase(), t, keys)
}

fn event(id: &str, activity: &str, t: i64, keys: &[(&str, &str)]) -> Event {
    Event::keyed(id, activity, t, keys)
}

/// One `#[test]` per check of the contract, so that a failing check never hides the others.
/// `$check` names each check inside `$body`, which hands it a factory of fresh stores; the
/// attributes (e.g. `#[ignore = "…"]`) go on every test.
macro_rules! contract_tests {
    ($(#[$attr:meta])* $check:ident => $body:block) => {
        $crate::store::contract::contract_tests!(@each [$(#[$attr])*] $check $body;
            rebuilds_the_generated_orders,
            dedupes_by_event_id,
            merges_instances_on_a_late_link,
            links_keys_without_events,
            keeps_uncorrelated_events,
            filters_and_projects_statistics,
            searches_and_pages_instances,
            keeps_dead_letters_once,
            stitches_traces_and_times_spans,
            keeps_object_attributes_over_time,
            keeps_the_rules_it_is_written_with,
            keeps_the_model_uploaded_last,
            keeps_process_state_equal_to_a_recompute,
            keeps_process_state_through_late_events,
            retention_deletes_old_instances_whole,
            retention_spares_running_instances_until_idle,
            retention_deletes_old_keyless_events,
            an_evicted_instance_comes_back_whole_when_a_key_reappears,
            a_store_that_forgets_idle_instances_answers_as_one_that_keeps_them,
            drills_down_to_the_instances_behind_a_step,
            filters_instances_and_statistics_alike,
            judges_each_step_by_its_own_limit,
            learns_each_steps_limit_from_history,
            answers_case_notions_as_the_events_flatten,
            case_notions_follow_retention);
    };
    (@each $attrs:tt $check:ident $body:block; $($name:ident),*) => {
        $($crate::store::contract::contract_tests!(@one $attrs $check $body $name);)*
    };
    (@one [$($attr:tt)*] $check:ident $body:block $name:ident) => {
        #[test]
        $($attr)*
        fn $name() {
            let $check = $crate::store::contract::$name;
            $body
        }
    };
}
pub(crate) use contract_tests;

/// Correlation over secondary keys, out-of-order delivery and trace links rebuilds exactly
/// the generated orders: same count, same statuses, same map as the ground truth's sequences.
pub(crate) fn rebuilds_the_generated_orders(factory: Factory<'_>) {
    let config = config();
    let store = factory(&config);
    let flow = flow(1_500);
    let events = events_of(&flow, &config);
    for batch in events.chunks(700) {
        store.append(batch).unwrap();
    }
    let overview = store.overview().unwrap();
    assert_eq!(overview.events, events.len() as u64);
    assert_eq!(
        overview.instances,
        flow.truth.orders.len() as u64,
        "one instance per order"
    );
    assert_eq!(overview.uncorrelated, 0);
    assert!(
        overview.merges > 0,
        "out-of-order delivery forces late merges"
    );
    let truth = &flow.truth;
    assert_eq!(
        overview.by_status,
        [
            (truth.count(OrderOutcome::Completed) + truth.count(OrderOutcome::Cancelled)) as u64,
            truth.count(OrderOutcome::Running) as u64,
            truth.count(OrderOutcome::Stuck) as u64,
        ]
    );

    let mut expected = EventLogBuilder::new();
    for order in &truth.orders {
        expected.start_case(order.order_id.clone());
        for (i, a) in order.activities.iter().enumerate() {
            expected.push_event(a, Some(i as i64));
        }
    }
    let expected = LogSummary::of(&ProcessStats::from_log(&expected.build()));
    let stats = store.process_stats(&StatsQuery::default()).unwrap();
    let mut got = LogSummary::of(&stats);
    let mut want = expected;
    got.dfg.sort();
    want.dfg.sort();
    assert_eq!(got, want);

    let order = &truth.orders[41];
    let page = store
        .instances(&InstanceQuery {
            search: Some(format!("order={}", order.order_id)),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.total, 1);
    let detail = store.instance(page.instances[0].id).unwrap().unwrap();
    assert_eq!(detail.summary.label, format!("order={}", order.order_id));
    let activities: Vec<&str> = detail.events.iter().map(|e| e.activity.as_str()).collect();
    assert_eq!(activities, order.activities);
    assert!(detail
        .events
        .windows(2)
        .all(|w| w[0].timestamp <= w[1].timestamp));
}

pub(crate) fn dedupes_by_event_id(factory: Factory<'_>) {
    let store = factory(&config());
    let batch = [
        event("a", "A", 1, &[("order", "1")]),
        event("b", "B", 2, &[("order", "1")]),
    ];
    let first = store.append(&batch).unwrap();
    assert_eq!((first.inserted, first.duplicates), (2, 0));
    let again = store
        .append(&[
            batch[1].clone(),
            event("c", "C", 3, &[("order", "1")]),
            batch[0].clone(),
        ])
        .unwrap();
    assert_eq!((again.inserted, again.duplicates), (1, 2));
    let within = store
        .append(&[event("d", "D", 4, &[]), event("d", "D", 4, &[])])
        .unwrap();
    assert_eq!((within.inserted, within.duplicates), (1, 1));
    assert_eq!(store.overview().unwrap().events, 4);
}

pub(crate) fn links_keys_without_events(factory: Factory<'_>) {
    let store = factory(&config());
    let key = |k: &str, v: &str| BusinessKey::new(k, v);
    // Linked before any event: no instance yet, but the events land together.
    let report = store
        .link(&[KeyLink::new(key("order", "1"), key("item", "a"))])
        .unwrap();
    assert_eq!(report.merges, 0);
    assert_eq!(store.overview().unwrap().instances, 0);
    store
        .append(&[
            event("o", "Order", 1, &[("order", "1")]),
            event("i", "Pick", 2, &[("item", "a")]),
        ])
        .unwrap();
    assert_eq!(store.overview().unwrap().instances, 1);
    // Linked after the events: two instances merge, and the merge names the relation.
    store
        .append(&[event("p", "Pack", 3, &[("package", "x")])])
        .unwrap();
    assert_eq!(store.overview().unwrap().instances, 2);
    let report = store
        .link(&[KeyLink {
            from: key("item", "a"),
            to: key("package", "x"),
            qualifier: "packed in".into(),
        }])
        .unwrap();
    assert_eq!(report.merges, 1);
    let page = store.instances(&InstanceQuery::default()).unwrap();
    assert_eq!(page.total, 1);
    let detail = store.instance(page.instances[0].id).unwrap().unwrap();
    assert_eq!(detail.events.len(), 3);
    assert_eq!(detail.merges[0].by_event, "relation item=a → package=x");
    let links = store.links().unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links[1].qualifier, "packed in");
    assert_eq!(store.keys().unwrap().len(), 3);
}

pub(crate) fn keeps_uncorrelated_events(factory: Factory<'_>) {
    let store = factory(&config());
    store
        .append(&[
            event("lonely", "Heartbeat", 5, &[]),
            event("o", "A", 6, &[("order", "1")]),
        ])
        .unwrap();
    let overview = store.overview().unwrap();
    assert_eq!(
        (overview.events, overview.uncorrelated, overview.instances),
        (2, 1, 1)
    );
    let lonely = store.uncorrelated(10).unwrap();
    assert_eq!(lonely.len(), 1);
    assert_eq!(lonely[0].id, "lonely");
    assert_eq!(
        store.process_stats(&StatsQuery::default()).unwrap().events,
        1
    );
}

pub(crate) fn filters_and_projects_statistics(factory: Factory<'_>) {
    let store = factory(&config());
    let mut events = Vec::new();
    for (case, seq, start) in [("1", "abc", 0), ("2", "abc", 100), ("3", "ac", 200)] {
        for (i, a) in seq.chars().enumerate() {
            events.push(event(
                &format!("{case}-{i}"),
                &a.to_string(),
                start + i as i64,
                &[("order", case)],
            ));
        }
    }
    store.append(&events).unwrap();
    let all = store.process_stats(&StatsQuery::default()).unwrap();
    assert_eq!((all.cases, all.variants.len()), (3, 2));

    let projected = store
        .process_stats(&StatsQuery {
            activities: Some(vec!["a".into(), "c".into()]),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(projected.activities.len(), 2);
    assert_eq!(projected.edges.len(), 1, "a→b→c becomes a→c");
    assert_eq!(projected.edges[0].count, 3);

    let variant = store
        .process_stats(&StatsQuery {
            cases: CaseFilter {
                variant: Some(vec!["a".into(), "c".into()]),
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap();
    assert_eq!(variant.cases, 1);

    let window = store
        .process_stats(&StatsQuery {
            cases: CaseFilter {
                from: Some(50),
                to: Some(150),
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap();
    assert_eq!(window.cases, 1);
}

pub(crate) fn searches_and_pages_instances(factory: Factory<'_>) {
    let mut config = config();
    config.instances.stuck_after = Some(100);
    let store = factory(&config);
    let mut events = Vec::new();
    for i in 0..25i64 {
        let id = i.to_string();
        let last = if i % 5 == 0 {
            "OrderCompletedEvent"
        } else {
            "Waiting"
        };
        events.push(event(
            &format!("{i}a"),
            "OrderPlacedEvent",
            i * 10,
            &[("order", &id)],
        ));
        events.push(event(
            &format!("{i}b"),
            last,
            i * 10 + 1,
            &[("order", &id), ("payment", &format!("p{i}"))],
        ));
    }
    store.append(&events).unwrap();
    let page = store
        .instances(&InstanceQuery {
            limit: 10,
            offset: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.total, 25);
    assert_eq!(page.instances.len(), 10);
    assert!(page
        .instances
        .windows(2)
        .all(|w| w[0].last_event >= w[1].last_event));
    assert_eq!(page.instances[0].label, "order=14");

    let completed = store
        .instances(&InstanceQuery {
            cases: CaseFilter::in_status(InstanceStatus::Completed),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(completed.total, 5);
    // the newest event is at 241; unfinished instances idle since before 141 are stuck
    let stuck = store
        .instances(&InstanceQuery {
            cases: CaseFilter::in_status(InstanceStatus::Stuck),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(stuck.total, 11);
    assert!(stuck
        .instances
        .iter()
        .all(|i| i.last_event < 141 && i.status == InstanceStatus::Stuck));
    let by_payment = store
        .instances(&InstanceQuery {
            search: Some("p7".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_payment.instances[0].label, "order=7");
    let none = store
        .instances(&InstanceQuery {
            search: Some("order=p7".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(none.total, 0);
}

/// Dead letters are kept with their bytes and reason, once per topic/partition/offset, newest
/// first, and counted in the overview; they never become events.
pub(crate) fn keeps_dead_letters_once(factory: Factory<'_>) {
    let store = factory(&config());
    let letter = |offset: i64, reason: &str, received: i64| DeadLetter {
        topic: "orders".into(),
        partition: 2,
        offset,
        reason: reason.into(),
        raw: vec![0xff, b'{', 0],
        received,
    };
    let first = [letter(7, "not JSON", 10), letter(9, "no time", 20)];
    assert_eq!(store.dead_letter(&first).unwrap(), 2);
    assert_eq!(
        store.dead_letter(&[letter(7, "not JSON", 30)]).unwrap(),
        0,
        "a redelivered dead letter is kept once"
    );
    let kept = store.dead_letters(10).unwrap();
    assert_eq!(kept, vec![first[1].clone(), first[0].clone()]);
    assert_eq!(store.dead_letters(1).unwrap().len(), 1);
    let overview = store.overview().unwrap();
    assert_eq!((overview.dead_letters, overview.events), (2, 0));
}

/// Steps held together by a trace id alone are uncorrelated until an event with a business key
/// and the same trace joins them; spans' durations are service times and the gaps before steps
/// are waiting times.
pub(crate) fn stitches_traces_and_times_spans(factory: Factory<'_>) {
    let store = factory(&config());
    let span = |id: &str, activity: &str, start: i64, end: i64, trace: &str| {
        let mut e = event(id, activity, start, &[("trace", trace)]);
        e.attributes
            .insert(miner::log::END_ATTRIBUTE.into(), end.into());
        e
    };
    store
        .append(&[
            span("s1", "charge card", 100, 150, "t1"),
            span("s2", "lonely span", 100, 180, "t2"),
        ])
        .unwrap();
    let overview = store.overview().unwrap();
    assert_eq!((overview.instances, overview.uncorrelated), (0, 2));
    assert_eq!(store.uncorrelated(10).unwrap().len(), 2);
    assert_eq!(
        store.process_stats(&StatsQuery::default()).unwrap().cases,
        0
    );

    store
        .append(&[
            event(
                "e1",
                "PaymentReceived",
                200,
                &[("order", "1"), ("trace", "t1")],
            ),
            span("s3", "ship", 260, 300, "t1"),
        ])
        .unwrap();
    let overview = store.overview().unwrap();
    assert_eq!((overview.instances, overview.uncorrelated), (1, 1));
    let lonely: Vec<String> = store
        .uncorrelated(10)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(lonely, ["s2"]);
    let page = store.instances(&InstanceQuery::default()).unwrap();
    assert_eq!(page.instances[0].label, "order=1");
    let detail = store.instance(page.instances[0].id).unwrap().unwrap();
    let ids: Vec<&str> = detail.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["s1", "e1", "s3"]);
    assert_eq!(detail.events[0].end(), Some(150));

    let stats = store.process_stats(&StatsQuery::default()).unwrap();
    let activity = |name: &str| stats.activities[stats.index_of(name).unwrap()].clone();
    assert_eq!(activity("charge card").service.total, 50);
    assert_eq!(
        activity("PaymentReceived").waiting.total,
        50,
        "from the span's end at 150"
    );
    assert_eq!(activity("ship").waiting.total, 60);
    assert_eq!(activity("ship").service.total, 40);
}

/// Reopening a store keeps its events and its key graph: a redelivered event is a duplicate,
/// a late link merges stored instances, and new instance ids never collide with stored ones.
/// `open` opens the same store each time it is called.
pub fn survives_a_restart(open: &dyn Fn() -> Box<dyn Store>) {
    {
        let store = open();
        store
            .append(&[
                event("a", "A", 1, &[("order", "1")]),
                event("b", "B", 2, &[("pick", "x")]),
            ])
            .unwrap();
    }
    let store = open();
    assert_eq!(store.overview().unwrap().events, 2);
    let report = store
        .append(&[
            event("a", "A", 1, &[("order", "1")]),
            event("c", "C", 3, &[("order", "1"), ("pick", "x")]),
        ])
        .unwrap();
    assert_eq!(
        (report.inserted, report.duplicates, report.merges),
        (1, 1, 1)
    );
    let fresh = store
        .append(&[event("d", "D", 4, &[("order", "2")])])
        .unwrap();
    assert_eq!(fresh.inserted, 1);
    let overview = store.overview().unwrap();
    assert_eq!(
        overview.instances, 2,
        "new instance ids never collide with stored ones"
    );
    let page = store.instances(&InstanceQuery::default()).unwrap();
    let merged = page
        .instances
        .iter()
        .find(|i| i.label == "order=1")
        .unwrap();
    let detail = store.instance(merged.id).unwrap().unwrap();
    assert_eq!(
        detail.events.len(),
        3,
        "the absorbed instance's event moved"
    );
    assert_eq!(detail.merges.len(), 1);
}
