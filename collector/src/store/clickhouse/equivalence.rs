//! The ClickHouse store answers exactly as the embedded store on the same inputs: every
//! statistic (including lifecycle service times and span waiting times, computed in SQL), every
//! instance page and detail, and the overview. Only the quantiles of the unfiltered statistics
//! differ, within the error of the embedded store's sketches.

use super::tests::fresh_url;
use super::ClickHouseStore;
use crate::mapping::map_event;
use crate::store::contract::assert_same_process;
use crate::store::{
    CaseFilter, EmbeddedStore, InstanceQuery, InstanceStatus, StatsQuery, Store, StoreWrite,
};
use crate::CollectorConfig;
use fixtures::{generate, service_spans, Scenario, SplitMix64, ORDER_FLOW_CONFIG};
use miner::log::{BusinessKey, Event, END_ATTRIBUTE, LIFECYCLE_ATTRIBUTE};
use serde_json::Map;

/// The demo's order flow with its services' spans, mapped by the demo configuration.
pub(super) fn order_flow(config: &CollectorConfig) -> Vec<Event> {
    let flow = generate(&Scenario {
        orders: 800,
        ..Scenario::default()
    });
    let mut events: Vec<Event> = flow
        .events
        .iter()
        .map(|e| {
            map_event(
                &config.mapping,
                serde_json::to_value(e).unwrap(),
                b"",
                "test",
            )
            .unwrap()
        })
        .collect();
    for span in service_spans(&flow.events) {
        let mut attributes = Map::new();
        attributes.insert(END_ATTRIBUTE.into(), span.end.into());
        events.push(Event {
            id: format!("span:{}", span.span_id),
            activity: span.name,
            timestamp: span.start,
            source: span.service,
            keys: vec![BusinessKey::new("trace", span.trace_id.clone())],
            trace_id: Some(span.trace_id),
            span_id: Some(span.span_id),
            attributes,
        });
    }
    events
}

/// Cases with interleaved `start`, `complete` and other transitions, tied timestamps, unmatched
/// completes and spans: the hard inputs of service and waiting times.
pub(super) fn lifecycle_cases(seed: u64) -> Vec<Event> {
    let mut rng = SplitMix64::new(seed);
    let activities = ["Check", "Approve", "Call", "Fix", "Close"];
    let transitions = [
        Some("start"),
        Some("complete"),
        Some("COMPLETE"),
        Some("suspend"),
        None,
    ];
    let mut events = Vec::new();
    for case in 0..400 {
        let mut t = rng.range(0, 1_000_000_000);
        for step in 0..rng.range(1, 14) {
            t += rng.range(0, 3) * rng.range(0, 5_000_000);
            let mut attributes = Map::new();
            if let Some(tr) = transitions[rng.range(0, transitions.len() as i64 - 1) as usize] {
                attributes.insert(LIFECYCLE_ATTRIBUTE.into(), tr.into());
            }
            if rng.chance(0.2) {
                attributes.insert(END_ATTRIBUTE.into(), (t + rng.range(-10, 9_000_000)).into());
            }
            events.push(Event {
                id: format!("c{case}-{step}"),
                activity: activities[rng.range(0, activities.len() as i64 - 1) as usize].into(),
                timestamp: t,
                source: "test".into(),
                keys: vec![BusinessKey::new("case", case.to_string())],
                trace_id: None,
                span_id: None,
                attributes,
            });
        }
    }
    events
}

pub(super) fn assert_same_answers(a: &dyn Store, b: &dyn Store, what: &str) {
    assert_eq!(
        a.overview().unwrap(),
        b.overview().unwrap(),
        "{what}: overview"
    );
    let all = a.process_stats(&StatsQuery::default()).unwrap();
    assert!(all.cases > 0, "{what}: no cases");
    assert!(
        all.activities.iter().any(|a| a.service.count > 0)
            && all.activities.iter().any(|a| a.waiting.count > 0),
        "{what}: the inputs give service and waiting times"
    );
    let variant = a.process_stats(&StatsQuery::default()).unwrap().variants[0].clone();
    let (first, last) = (all.first_event.unwrap(), all.last_event.unwrap());
    let middle = first + (last - first) / 3;
    let top: Vec<String> = all
        .variant_names(&variant)
        .iter()
        .map(|s| s.to_string())
        .collect();
    // Every condition of the filter bar at once.
    let filter_bar = CaseFilter {
        with: vec![top[top.len() - 1].clone()],
        without: vec![all.activities.last().unwrap().name.clone()],
        follows: top
            .windows(2)
            .take(1)
            .map(|w| (w[0].clone(), w[1].clone()))
            .collect(),
        min_duration: Some(1_000_000),
        max_duration: Some((last - first) / 2),
        ..Default::default()
    };
    let queries = [
        StatsQuery::default(),
        StatsQuery {
            cases: CaseFilter {
                from: Some(middle),
                to: Some(last - (last - first) / 3),
                ..Default::default()
            },
            activities: None,
        },
        StatsQuery {
            cases: CaseFilter {
                variant: Some(
                    all.variant_names(&variant)
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                ),
                ..Default::default()
            },
            activities: None,
        },
        StatsQuery {
            cases: filter_bar.clone(),
            activities: None,
        },
        StatsQuery {
            cases: CaseFilter::default(),
            activities: Some(
                all.activities
                    .iter()
                    .step_by(2)
                    .map(|a| a.name.clone())
                    .collect(),
            ),
        },
    ];
    // The embedded store answers the unfiltered statistics from its running totals, whose
    // quantiles are sketched; every filtered answer is exact on both.
    assert_same_process(&all, &b.process_stats(&queries[0]).unwrap());
    for query in &queries[1..] {
        assert_eq!(
            a.process_stats(query).unwrap(),
            b.process_stats(query).unwrap(),
            "{what}: statistics for {query:?}"
        );
    }
    let mut pages = vec![
        InstanceQuery {
            limit: 10_000,
            ..Default::default()
        },
        InstanceQuery {
            offset: 5,
            limit: 10,
            ..Default::default()
        },
    ];
    for status in InstanceStatus::ALL {
        pages.push(InstanceQuery {
            cases: CaseFilter::in_status(status),
            offset: 3,
            limit: 20,
            ..Default::default()
        });
    }
    pages.push(InstanceQuery {
        cases: filter_bar.clone(),
        limit: 10_000,
        ..Default::default()
    });
    let page = a.instances(&pages[0]).unwrap();
    for label in page.instances.iter().take(3).map(|i| i.label.clone()) {
        let (kind, value) = label.split_once('=').unwrap();
        pages.push(InstanceQuery {
            cases: CaseFilter {
                key: Some(miner::log::BusinessKey::new(kind, value)),
                ..filter_bar.clone()
            },
            ..Default::default()
        });
        let value = value.to_string();
        pages.push(InstanceQuery {
            search: Some(label),
            ..Default::default()
        });
        pages.push(InstanceQuery {
            search: Some(value),
            ..Default::default()
        });
    }
    for query in &pages {
        assert_eq!(
            a.instances(query).unwrap(),
            b.instances(query).unwrap(),
            "{what}: instances for {query:?}"
        );
    }
    for summary in page.instances.iter().step_by(97) {
        assert_eq!(
            a.instance(summary.id).unwrap(),
            b.instance(summary.id).unwrap(),
            "{what}: instance {}",
            summary.label
        );
    }
    assert_eq!(
        a.uncorrelated(50).unwrap(),
        b.uncorrelated(50).unwrap(),
        "{what}: uncorrelated"
    );
}

#[test]
#[ignore = "needs a ClickHouse server: make clickhouse-tests"]
fn answers_as_the_embedded_store_does() {
    let config = CollectorConfig::parse(ORDER_FLOW_CONFIG).unwrap();
    for (what, events) in [
        ("order flow with spans", order_flow(&config)),
        ("lifecycle cases", lifecycle_cases(7)),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let embedded = EmbeddedStore::open(dir.path(), config.instances.clone()).unwrap();
        let clickhouse = ClickHouseStore::open(&fresh_url(), config.instances.clone()).unwrap();
        for batch in events.chunks(900) {
            let expected = embedded.append(batch).unwrap();
            assert_eq!(
                clickhouse.append(batch).unwrap(),
                expected,
                "{what}: append report"
            );
        }
        assert_same_answers(&embedded, &clickhouse, what);
    }
}
