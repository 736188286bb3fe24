//! View models: what each page template shows, formatted for people.

use collector::store::{InstanceSummary, StoreOverview};
use miner::formats::xml::escape_xml;
use miner::log::Event;
use miner::time::{format_duration, format_timestamp, Micros};
use std::fmt::Write;

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

/// A timeline of (a page of) an instance's events: one row per event, a bar from it to the next
/// event (the wait), placed on the scale of the whole instance (`span`: its first and last
/// event times), so that pages line up.
pub fn timeline_svg(events: &[Event], span: (Micros, Micros)) -> String {
    const ROW: f64 = 20.0;
    const LABEL: f64 = 230.0;
    const WIDTH: f64 = 900.0;
    if events.is_empty() {
        return String::new();
    }
    let (start, end) = span;
    let range = (end - start).max(1) as f64;
    let x = |t: Micros| LABEL + (t - start) as f64 / range * (WIDTH - LABEL - 20.0);
    let height = ROW * events.len() as f64 + 10.0;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="instance-timeline" width="{WIDTH}" height="{height}" font-family="Helvetica, Arial, sans-serif" font-size="12">"#
    );
    for (i, e) in events.iter().enumerate() {
        let y = 5.0 + i as f64 * ROW;
        let next = events.get(i + 1).map_or(e.timestamp, |n| n.timestamp);
        let name = e.activity.replace('&', "&amp;").replace('<', "&lt;");
        let _ = write!(
            out,
            r##"<g class="step"><text x="4" y="{:.1}">{name}</text><rect x="{:.1}" y="{:.1}" width="{:.1}" height="10" rx="2" fill="#9db8e8"/><circle cx="{:.1}" cy="{:.1}" r="4" fill="#10284f"/></g>"##,
            y + 13.0,
            x(e.timestamp),
            y + 4.0,
            (x(next) - x(e.timestamp)).max(0.0),
            x(e.timestamp),
            y + 9.0,
        );
    }
    out.push_str("</svg>");
    out
}

/// The spans among `events` as a Gantt chart: one bar per span from start to end, children
/// under their parent span (indented), siblings by start, instant events as ticks on the top
/// row. Empty when there are no spans.
pub fn spans_gantt_svg(events: &[Event]) -> String {
    const ROW: f64 = 18.0;
    const LABEL: f64 = 260.0;
    const WIDTH: f64 = 900.0;
    let spans: Vec<(&Event, Micros)> = events
        .iter()
        .filter_map(|e| e.end().map(|end| (e, end.max(e.timestamp))))
        .collect();
    if spans.is_empty() {
        return String::new();
    }
    let start = events.iter().map(|e| e.timestamp).min().unwrap_or(0);
    let end = spans
        .iter()
        .map(|s| s.1)
        .chain(events.iter().map(|e| e.timestamp))
        .max()
        .unwrap_or(start);
    let range = (end - start).max(1) as f64;
    let x = |t: Micros| LABEL + (t - start) as f64 / range * (WIDTH - LABEL - 20.0);
    let order = nest(&spans);
    let height = ROW * (order.len() + 1) as f64 + 8.0;
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="span-gantt" width="{WIDTH}" height="{height}" font-family="Helvetica, Arial, sans-serif" font-size="11"><text x="4" y="13" fill="#55657d">events</text>"##
    );
    for e in events.iter().filter(|e| e.end().is_none()) {
        let _ = write!(
            out,
            r##"<line class="event-tick" x1="{x:.1}" x2="{x:.1}" y1="3" y2="15" stroke="#10284f" stroke-width="2"><title>{}</title></line>"##,
            escape_xml(&e.activity),
            x = x(e.timestamp),
        );
    }
    for (row, (i, depth)) in order.into_iter().enumerate() {
        let (span, end) = spans[i];
        let y = 4.0 + (row + 1) as f64 * ROW;
        let failed = span.attributes.get("span:status").and_then(|v| v.as_str()) == Some("error");
        let fill = if failed { "#e0604f" } else { "#5b8bd9" };
        let _ = write!(
            out,
            r##"<g class="span" data-span="{id}" data-depth="{depth}"><text x="{lx:.1}" y="{ty:.1}">{service}: {name}</text><rect x="{bx:.1}" y="{y:.1}" width="{bw:.1}" height="11" rx="2" fill="{fill}"><title>{name}: {duration}</title></rect></g>"##,
            id = escape_xml(span.span_id.as_deref().unwrap_or_default()),
            lx = 4.0 + 12.0 * depth as f64,
            ty = y + 10.0,
            service = escape_xml(&span.source),
            name = escape_xml(&span.activity),
            bx = x(span.timestamp),
            bw = (x(end) - x(span.timestamp)).max(1.5),
            duration = format_duration(end - span.timestamp),
        );
    }
    out.push_str("</svg>");
    out
}

/// Spans in display order with their depth: depth-first from the roots (spans whose parent is
/// not among them), children by start time.
fn nest(spans: &[(&Event, Micros)]) -> Vec<(usize, usize)> {
    let parent_of = |e: &Event| {
        e.attributes
            .get("span:parent")
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let index: std::collections::HashMap<&str, usize> = spans
        .iter()
        .enumerate()
        .filter_map(|(i, (e, _))| e.span_id.as_deref().map(|id| (id, i)))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    let mut roots = Vec::new();
    for (i, (e, _)) in spans.iter().enumerate() {
        match parent_of(e)
            .and_then(|p| index.get(p.as_str()).copied())
            .filter(|&p| p != i)
        {
            Some(p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    let by_start = |v: &mut Vec<usize>| v.sort_by_key(|&i| (spans[i].0.timestamp, i));
    by_start(&mut roots);
    children.iter_mut().for_each(by_start);
    let mut order = Vec::with_capacity(spans.len());
    let mut stack: Vec<(usize, usize)> = roots.into_iter().rev().map(|i| (i, 0)).collect();
    let mut seen = vec![false; spans.len()];
    while let Some((i, depth)) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        order.push((i, depth));
        stack.extend(children[i].iter().rev().map(|&c| (c, depth + 1)));
    }
    order
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
        let svg = timeline_svg(&[event("A<", 0), event("B", 10)], (0, 10));
        assert_eq!(svg.matches("class=\"step\"").count(), 2);
        assert!(svg.contains("A&lt;"));
    }
}

#[cfg(test)]
mod gantt_tests {
    use super::*;

    fn span(id: &str, parent: Option<&str>, start: Micros, end: Micros) -> Event {
        let mut attributes = serde_json::Map::new();
        attributes.insert(miner::log::END_ATTRIBUTE.into(), end.into());
        if let Some(p) = parent {
            attributes.insert("span:parent".into(), p.into());
        }
        Event {
            id: id.into(),
            activity: format!("work {id}"),
            timestamp: start,
            source: "svc".into(),
            keys: Vec::new(),
            trace_id: Some("t".into()),
            span_id: Some(id.into()),
            attributes,
        }
    }

    #[test]
    fn spans_nest_under_their_parents() {
        let mut instant = span("e", None, 50, 0);
        instant.attributes.clear();
        let events = [
            span("root", None, 0, 100),
            span("late-child", Some("root"), 60, 90),
            span("child", Some("root"), 10, 40),
            span("grandchild", Some("child"), 20, 30),
            instant,
            span("orphan", Some("gone"), 70, 80),
        ];
        let svg = spans_gantt_svg(&events);
        let order: Vec<(&str, &str)> = svg
            .match_indices("data-span=\"")
            .map(|(i, _)| {
                let rest = &svg[i + 11..];
                let id = &rest[..rest.find('"').unwrap()];
                let depth_at = rest.find("data-depth=\"").unwrap() + 12;
                (id, &rest[depth_at..depth_at + 1])
            })
            .collect();
        assert_eq!(
            order,
            [
                ("root", "0"),
                ("child", "1"),
                ("grandchild", "2"),
                ("late-child", "1"),
                ("orphan", "0")
            ]
        );
        assert_eq!(svg.matches("class=\"event-tick\"").count(), 1);
        assert!(
            spans_gantt_svg(&events[4..5]).is_empty(),
            "no spans, no chart"
        );
    }
}
