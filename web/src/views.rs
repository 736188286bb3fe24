//! View models: what each page template shows, formatted for people.

use collector::store::{InstanceSummary, StoreOverview};
use miner::log::Event;
use miner::time::{format_duration, format_timestamp, Micros};

/// The header every page shows: store-wide figures and the active tab.
#[derive(Debug, Clone)]
pub struct Header {
    pub active: &'static str,
    /// Whether the store's figures are known (an error page shows none).
    pub figures: bool,
    pub events: u64,
    pub instances: u64,
    pub completed: u64,
    pub running: u64,
    pub stuck: u64,
    pub uncorrelated: u64,
    pub latest: String,
}

impl Header {
    pub fn new(active: &'static str, o: &StoreOverview) -> Self {
        Self {
            active,
            figures: true,
            events: o.events,
            instances: o.instances,
            completed: o.by_status[0],
            running: o.by_status[1],
            stuck: o.by_status[2],
            uncorrelated: o.uncorrelated,
            latest: o.latest_event.map_or_else(|| "—".to_string(), short_time),
        }
    }
}

impl Header {
    /// The header of a page that shows no store figures (an error page).
    pub fn without_figures() -> Self {
        Self::new("", &StoreOverview::default()).with_figures(false)
    }

    fn with_figures(mut self, figures: bool) -> Self {
        self.figures = figures;
        self
    }
}

/// `2026-01-05 08:00:00` (UTC), for tables.
pub fn short_time(t: Micros) -> String {
    let full = format_timestamp(t);
    full.get(..19).map_or(full.clone(), |s| s.replace('T', " "))
}

/// A row of the instance list.
pub struct InstanceRow {
    pub id: i64,
    pub label: String,
    pub status: &'static str,
    pub events: u64,
    pub first: String,
    pub last: String,
    pub duration: String,
    pub last_activity: String,
}

impl From<&InstanceSummary> for InstanceRow {
    fn from(i: &InstanceSummary) -> Self {
        Self {
            id: i.id,
            label: i.label.clone(),
            status: i.status.as_str(),
            events: i.events,
            first: short_time(i.first_event),
            last: short_time(i.last_event),
            duration: format_duration(i.last_event - i.first_event),
            last_activity: i.last_activity.clone(),
        }
    }
}

/// A row of an event table.
pub struct EventRow {
    pub id: String,
    pub time: String,
    pub offset: String,
    pub wait: String,
    pub activity: String,
    pub source: String,
    pub keys: String,
    pub attributes: String,
}

/// Event rows with the time since the first event and since the previous one.
pub fn event_rows(events: &[Event]) -> Vec<EventRow> {
    let start = events.first().map_or(0, |e| e.timestamp);
    let mut previous = None;
    events
        .iter()
        .map(|e| {
            let wait = previous.map_or_else(String::new, |p| format_duration(e.timestamp - p));
            previous = Some(e.timestamp);
            EventRow {
                id: e.id.clone(),
                time: short_time(e.timestamp),
                offset: format_duration(e.timestamp - start),
                wait,
                activity: e.activity.clone(),
                source: e.source.clone(),
                keys: e
                    .keys
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                attributes: serde_json::Value::Object(e.attributes.clone()).to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use miner::log::BusinessKey;

    fn event(activity: &str, t: Micros) -> Event {
        Event {
            id: activity.into(),
            activity: activity.into(),
            timestamp: t,
            source: "s".into(),
            keys: vec![BusinessKey::new("order", "1")],
            trace_id: None,
            span_id: None,
            attributes: Default::default(),
        }
    }

    #[test]
    fn rows_show_offsets_and_waits() {
        let rows = event_rows(&[
            event("A", 0),
            event("B", 90_000_000),
            event("C", 150_000_000),
        ]);
        assert_eq!(rows[0].wait, "");
        assert_eq!(rows[1].wait, "1m 30s");
        assert_eq!(rows[2].offset, "2m 30s");
        assert_eq!(rows[2].keys, "order=1");
    }
}
