//! Case notions: which business key defines a case. An instance is everything linked by its
//! keys (an order with its payment and shipment); a case notion instead takes one key kind
//! (every order, or every payment, or in OCEL terms one object type) and makes one case per
//! value, of the events carrying it, as pm4py's flattening does. The object-centric view
//! keeps every kind at once: each kind's paths over the same activities.

use crate::discovery::{EdgeStats, ProcessStats};
use crate::log::{Event, EventLog, EventLogBuilder, Lifecycle};
use std::collections::{BTreeMap, HashSet};

/// One case per value of key `kind`, of the events carrying it, in time order; an event
/// carrying two values of the kind is in both cases. Only activities in `keep` when given.
pub fn flatten(events: &[Event], kind: &str, keep: Option<&[String]>) -> EventLog {
    let kept: Option<HashSet<&str>> = keep.map(|k| k.iter().map(String::as_str).collect());
    let mut cases: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for event in events {
        if kept
            .as_ref()
            .is_some_and(|k| !k.contains(event.activity.as_str()))
        {
            continue;
        }
        let mut values: Vec<&str> = event
            .keys
            .iter()
            .filter(|k| k.kind == kind)
            .map(|k| k.value.as_str())
            .collect();
        values.sort_unstable();
        values.dedup();
        for value in values {
            cases.entry(value).or_default().push(event);
        }
    }
    let mut builder = EventLogBuilder::new();
    for (value, events) in cases {
        builder.start_case(value);
        for event in events {
            let lifecycle = Lifecycle::parse(event.transition());
            match event.end() {
                Some(end) => {
                    builder.push_interval(&event.activity, event.timestamp, end, lifecycle)
                }
                None => builder.push_transition(&event.activity, Some(event.timestamp), lifecycle),
            }
        }
    }
    builder.build()
}

/// The key kinds `events` carry, each with how many events carry it, most carried first.
pub fn kinds(events: &[Event]) -> Vec<(String, u64)> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for event in events {
        let mut seen: Vec<&str> = event.keys.iter().map(|k| k.kind.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        for kind in seen {
            *counts.entry(kind).or_default() += 1;
        }
    }
    let mut kinds: Vec<(String, u64)> = counts
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    kinds
}

/// Every key kind's process over the same activities: an object-centric directly-follows
/// graph (one per object type, as pm4py's OC-DFG).
#[derive(Debug, Clone)]
pub struct ObjectCentric {
    /// The kinds, the one with the most steps (events counted once per case of the kind)
    /// first; ties by name.
    pub kinds: Vec<String>,
    /// Each kind's statistics, one case per value (in the order of `kinds`).
    pub per_kind: Vec<ProcessStats>,
    /// All kinds' cases together: each path counted once per kind taking it, each activity
    /// counted once per event (not once per kind it carries), and ranked by that count.
    pub union: ProcessStats,
}

impl ObjectCentric {
    /// The object-centric statistics of `events` with only the activities in `keep` when
    /// given (hidden steps bridged).
    pub fn of(events: &[Event], keep: Option<&[String]>) -> Self {
        let mut logs: Vec<(String, EventLog)> = kinds(events)
            .into_iter()
            .map(|(k, _)| {
                let log = flatten(events, &k, keep);
                (k, log)
            })
            .collect();
        logs.sort_by(|a, b| {
            b.1.event_count()
                .cmp(&a.1.event_count())
                .then_with(|| a.0.cmp(&b.0))
        });
        let (kinds, logs): (Vec<String>, Vec<EventLog>) = logs.into_iter().unzip();
        let per_kind = logs.iter().map(ProcessStats::from_log).collect();
        let mut together = EventLogBuilder::new();
        for (kind, log) in kinds.iter().zip(&logs) {
            for case in log.cases() {
                together.start_case(format!("{kind}={}", case.name));
                for i in 0..case.activities.len() {
                    let activity = log.activities().name(case.activities[i]);
                    match case.ends[i] {
                        Some(end) => together.push_interval(
                            activity,
                            case.timestamps[i].unwrap_or(end),
                            end,
                            case.lifecycles[i],
                        ),
                        None => together.push_transition(
                            activity,
                            case.timestamps[i],
                            case.lifecycles[i],
                        ),
                    }
                }
            }
        }
        let union = ProcessStats::from_log(&together.build());
        let kept: Option<HashSet<&str>> = keep.map(|k| k.iter().map(String::as_str).collect());
        let mut per_event: BTreeMap<&str, u64> = BTreeMap::new();
        for event in events.iter().filter(|e| !e.keys.is_empty()) {
            if kept
                .as_ref()
                .is_none_or(|k| k.contains(event.activity.as_str()))
            {
                *per_event.entry(event.activity.as_str()).or_default() += 1;
            }
        }
        let union = union.recounted(|activity| per_event.get(activity).copied().unwrap_or(0));
        Self {
            kinds,
            per_kind,
            union,
        }
    }

    /// How many times kind `k` takes the path from `from` to `to` (activity names).
    pub fn path_count(&self, k: usize, from: &str, to: &str) -> u64 {
        self.path(k, from, to).map_or(0, |e| e.count)
    }

    /// Kind `k`'s statistics of the path from `from` to `to` (activity names), if it takes it.
    pub fn path(&self, k: usize, from: &str, to: &str) -> Option<&EdgeStats> {
        let stats = &self.per_kind[k];
        let (a, b) = (stats.index_of(from)?, stats.index_of(to)?);
        stats.edges.iter().find(|e| e.from == a && e.to == b)
    }

    /// How many of kind `k`'s cases start (`first`) or end (`!first`) at `activity`.
    pub fn boundary_count(&self, k: usize, activity: &str, first: bool) -> u64 {
        let stats = &self.per_kind[k];
        let Some(a) = stats.index_of(activity) else {
            return 0;
        };
        let counts = if first {
            &stats.start_activities
        } else {
            &stats.end_activities
        };
        counts.iter().find(|(i, _)| *i == a).map_or(0, |(_, n)| *n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Order o1 of items i1 and i2: placed (o1, i1, i2), picked i2 then i1, shipped (o1, i1, i2).
    fn order_with_items() -> Vec<Event> {
        vec![
            Event::keyed(
                "1",
                "place",
                1,
                &[("order", "o1"), ("item", "i1"), ("item", "i2")],
            ),
            Event::keyed("3", "pick", 3, &[("item", "i1")]),
            Event::keyed("2", "pick", 2, &[("item", "i2")]),
            Event::keyed(
                "4",
                "ship",
                4,
                &[("order", "o1"), ("item", "i1"), ("item", "i2")],
            ),
            Event::keyed("5", "invoice", 5, &[("order", "o1")]),
        ]
    }

    #[test]
    fn one_case_per_value_of_the_kind_with_shared_events_in_each() {
        let events = order_with_items();
        let items = flatten(&events, "item", None);
        assert_eq!(items.case_count(), 2);
        for i in 0..2 {
            assert_eq!(items.activity_names(i), ["place", "pick", "ship"]);
        }
        let orders = flatten(&events, "order", None);
        assert_eq!(orders.case_count(), 1);
        assert_eq!(orders.activity_names(0), ["place", "ship", "invoice"]);
        let kept = flatten(&events, "item", Some(&["place".into(), "ship".into()]));
        assert_eq!(kept.activity_names(0), ["place", "ship"]);
        assert_eq!(kinds(&events), [("item".into(), 4), ("order".into(), 3)]);
    }

    #[test]
    fn the_object_centric_view_counts_paths_per_kind_and_events_once() {
        let oc = ObjectCentric::of(&order_with_items(), None);
        assert_eq!(oc.kinds, ["item", "order"]);
        assert_eq!(oc.path_count(0, "place", "pick"), 2);
        assert_eq!(oc.path_count(1, "place", "pick"), 0);
        assert_eq!(oc.path_count(1, "place", "ship"), 1);
        assert_eq!(oc.boundary_count(1, "invoice", false), 1);
        assert_eq!(oc.boundary_count(0, "ship", false), 2);
        let place = oc.union.index_of("place").unwrap();
        assert_eq!(
            oc.union.activities[place].count, 1,
            "one event, three objects"
        );
        let pick = oc.union.index_of("pick").unwrap();
        assert_eq!(oc.union.activities[pick].count, 2);
        let (a, b) = (place, oc.union.index_of("ship").unwrap());
        let edge = oc.union.edges.iter().find(|e| e.from == a && e.to == b);
        assert_eq!(
            edge.map(|e| e.count),
            Some(1),
            "only the order goes place → ship"
        );
    }
}
