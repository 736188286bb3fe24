//! An instance's time drawn two ways on one time axis: its events in order with the wait after
//! each, and its steps with a duration (trace spans nested under their parents, start–complete
//! pairs) as a Gantt chart. Both use the same scale and label column, so a moment is at the same
//! place in both, and the axis gives the time since the instance began and the UTC clock.

use miner::formats::xml::escape_xml;
use miner::log::Event;
use miner::time::{format_duration, format_timestamp, Micros};
use std::collections::{HashMap, VecDeque};
use std::fmt::Write;

/// Width of a drawing, of its label column, and of its right margin.
const WIDTH: f64 = 900.0;
const LABEL: f64 = 260.0;
const RIGHT: f64 = 20.0;
/// Height of the time axis at the top of each drawing.
const AXIS: f64 = 30.0;

/// The time scale both drawings share: the instance's first moment to its last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeScale {
    /// The instance's first event.
    pub start: Micros,
    /// Its last moment (last event, or the end of a step that ends later).
    pub end: Micros,
}

impl TimeScale {
    /// The scale of an instance from `first` to `last`, widened to the ends of `events`' steps.
    pub fn of(first: Micros, last: Micros, events: &[Event]) -> Self {
        let end = events.iter().filter_map(Event::end).fold(last, Micros::max);
        Self {
            start: first,
            end: end.max(first),
        }
    }

    fn x(&self, t: Micros) -> f64 {
        let range = (self.end - self.start).max(1) as f64;
        LABEL + (t - self.start) as f64 / range * (WIDTH - LABEL - RIGHT)
    }

    /// The axis: ticks with the time since the start, the UTC clock at both ends.
    fn axis(&self, out: &mut String) {
        let _ = write!(
            out,
            r##"<g class="axis"><text x="4" y="12" fill="#55657d">{} UTC</text><text x="{:.0}" y="12" text-anchor="end" fill="#55657d">{} UTC</text>"##,
            clock(self.start),
            WIDTH - RIGHT,
            clock(self.end),
        );
        for i in 0..=4 {
            let t = self.start + (self.end - self.start) * i / 4;
            let x = self.x(t);
            let anchor = if i == 4 { "end" } else { "middle" };
            let _ = write!(
                out,
                r##"<line x1="{x:.1}" x2="{x:.1}" y1="{:.0}" y2="{AXIS:.0}" stroke="#8a96a8"/><text class="tick" data-at="{t}" x="{x:.1}" y="{:.0}" text-anchor="{anchor}" fill="#333">+{}</text>"##,
                AXIS - 6.0,
                AXIS - 9.0,
                format_duration(t - self.start),
            );
        }
        out.push_str("</g>");
    }
}

/// `2026-01-05 08:00:00.250` for the axis ends.
fn clock(t: Micros) -> String {
    let text = format_timestamp(t);
    text.get(..23).map_or(text.clone(), |s| s.replace('T', " "))
}

fn open(out: &mut String, class: &str, height: f64) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="{class}" width="{WIDTH}" height="{height}" font-family="Helvetica, Arial, sans-serif" font-size="12">"#
    );
}

/// (A page of) an instance's events: one row per event, a bar from it to the next event (the
/// wait), on `scale`, so that pages and the Gantt chart line up.
pub fn timeline_svg(events: &[Event], scale: TimeScale) -> String {
    const ROW: f64 = 20.0;
    if events.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    open(
        &mut out,
        "instance-timeline",
        AXIS + ROW * events.len() as f64 + 10.0,
    );
    scale.axis(&mut out);
    for (i, e) in events.iter().enumerate() {
        let y = AXIS + 5.0 + i as f64 * ROW;
        let next = events.get(i + 1).map_or(e.timestamp, |n| n.timestamp);
        let _ = write!(
            out,
            r##"<g class="step" data-at="{at}"><text x="4" y="{:.1}">{}</text><rect x="{:.1}" y="{:.1}" width="{:.1}" height="10" rx="2" fill="#9db8e8"><title>waits {}</title></rect><circle cx="{:.1}" cy="{:.1}" r="4" fill="#10284f"/></g>"##,
            y + 13.0,
            escape_xml(&e.activity),
            scale.x(e.timestamp),
            y + 4.0,
            (scale.x(next) - scale.x(e.timestamp)).max(0.0),
            format_duration(next - e.timestamp),
            scale.x(e.timestamp),
            y + 9.0,
            at = e.timestamp,
        );
    }
    out.push_str("</svg>");
    out
}

/// A step with a duration: a span, or a start event with its complete.
struct Lasting<'a> {
    /// The event that starts it.
    event: &'a Event,
    /// When it ends.
    end: Micros,
    /// `span` or `pair`.
    kind: &'static str,
}

/// The steps with a duration among `events`: spans, and each `start` matched with the next
/// `complete` of its activity (first started, first completed, as the miner pairs them); the
/// rest are instant events.
fn lasting(events: &[Event]) -> (Vec<Lasting<'_>>, Vec<&Event>) {
    let mut steps = Vec::new();
    let mut instants = Vec::new();
    let mut open: HashMap<&str, VecDeque<&Event>> = HashMap::new();
    for e in events {
        if let Some(end) = e.end() {
            steps.push(Lasting {
                event: e,
                end: end.max(e.timestamp),
                kind: "span",
            });
            continue;
        }
        match e.transition() {
            Some("start") => open.entry(e.activity.as_str()).or_default().push_back(e),
            Some("complete") => match open
                .get_mut(e.activity.as_str())
                .and_then(VecDeque::pop_front)
            {
                Some(start) => steps.push(Lasting {
                    event: start,
                    end: e.timestamp.max(start.timestamp),
                    kind: "pair",
                }),
                None => instants.push(e),
            },
            _ => instants.push(e),
        }
    }
    instants.extend(open.into_values().flatten());
    (steps, instants)
}

/// The steps with a duration among `events` as a Gantt chart on `scale`: one bar per step from
/// start to end, spans under their parent span (indented), siblings by start, instant events
/// as ticks on the top row. Empty when no step has a duration.
pub fn steps_gantt_svg(events: &[Event], scale: TimeScale) -> String {
    const ROW: f64 = 18.0;
    let (steps, instants) = lasting(events);
    if steps.is_empty() {
        return String::new();
    }
    let order = nest(&steps);
    let mut out = String::new();
    open(
        &mut out,
        "span-gantt",
        AXIS + ROW * (order.len() + 1) as f64 + 8.0,
    );
    scale.axis(&mut out);
    let _ = write!(
        out,
        r##"<text x="4" y="{:.0}" fill="#55657d">events</text>"##,
        AXIS + 13.0
    );
    for e in instants {
        let _ = write!(
            out,
            r##"<line class="event-tick" x1="{x:.1}" x2="{x:.1}" y1="{:.0}" y2="{:.0}" stroke="#10284f" stroke-width="2"><title>{}</title></line>"##,
            AXIS + 3.0,
            AXIS + 15.0,
            escape_xml(&e.activity),
            x = scale.x(e.timestamp),
        );
    }
    for (row, (i, depth)) in order.into_iter().enumerate() {
        let step = &steps[i];
        let e = step.event;
        let y = AXIS + 4.0 + (row + 1) as f64 * ROW;
        let failed = e.span_status() == Some("error");
        let fill = match (failed, step.kind) {
            (true, _) => "#e0604f",
            (false, "pair") => "#7c6fd1",
            _ => "#5b8bd9",
        };
        let _ = write!(
            out,
            r##"<g class="span" data-kind="{kind}" data-span="{id}" data-depth="{depth}" data-start="{start}" data-end="{end}"><text x="{lx:.1}" y="{ty:.1}">{service}: {name}</text><rect x="{bx:.1}" y="{y:.1}" width="{bw:.1}" height="11" rx="2" fill="{fill}"><title>{name}: {duration}</title></rect></g>"##,
            kind = step.kind,
            id = escape_xml(e.span_id.as_deref().unwrap_or(&e.id)),
            start = e.timestamp,
            end = step.end,
            lx = 4.0 + 12.0 * depth as f64,
            ty = y + 10.0,
            service = escape_xml(&e.source),
            name = escape_xml(&e.activity),
            bx = scale.x(e.timestamp),
            bw = (scale.x(step.end) - scale.x(e.timestamp)).max(1.5),
            duration = format_duration(step.end - e.timestamp),
        );
    }
    out.push_str("</svg>");
    out
}

/// Steps in display order with their depth: depth-first from the roots (steps whose parent
/// span is not among them), children by start time.
fn nest(steps: &[Lasting<'_>]) -> Vec<(usize, usize)> {
    let parent_of = |e: &Event| e.span_parent().map(str::to_string);
    let index: HashMap<&str, usize> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.event.span_id.as_deref().map(|id| (id, i)))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    let mut roots = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        match parent_of(s.event)
            .and_then(|p| index.get(p.as_str()).copied())
            .filter(|&p| p != i)
        {
            Some(p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    let by_start = |v: &mut Vec<usize>| v.sort_by_key(|&i| (steps[i].event.timestamp, i));
    by_start(&mut roots);
    children.iter_mut().for_each(by_start);
    let mut order = Vec::with_capacity(steps.len());
    let mut stack: Vec<(usize, usize)> = roots.into_iter().rev().map(|i| (i, 0)).collect();
    let mut seen = vec![false; steps.len()];
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
    use miner::log::{END_ATTRIBUTE, LIFECYCLE_ATTRIBUTE};

    fn event(id: &str, activity: &str, start: Micros) -> Event {
        Event {
            id: id.into(),
            activity: activity.into(),
            timestamp: start,
            source: "svc".into(),
            keys: Vec::new(),
            trace_id: None,
            span_id: None,
            attributes: Default::default(),
        }
    }

    fn span(id: &str, parent: Option<&str>, start: Micros, end: Micros) -> Event {
        let mut e = event(id, &format!("work {id}"), start);
        e.attributes.insert(END_ATTRIBUTE.into(), end.into());
        if let Some(p) = parent {
            e.attributes
                .insert(miner::log::SPAN_PARENT_ATTRIBUTE.into(), p.into());
        }
        e.trace_id = Some("t".into());
        e.span_id = Some(id.into());
        e
    }

    fn transition(id: &str, activity: &str, t: Micros, lifecycle: &str) -> Event {
        let mut e = event(id, activity, t);
        e.attributes
            .insert(LIFECYCLE_ATTRIBUTE.into(), lifecycle.into());
        e
    }

    /// The `data-` attribute `name` of every element with it, in order.
    fn attribute<'a>(svg: &'a str, name: &str) -> Vec<&'a str> {
        let marker = format!("{name}=\"");
        svg.match_indices(&marker)
            .map(|(i, _)| {
                let rest = &svg[i + marker.len()..];
                &rest[..rest.find('"').unwrap()]
            })
            .collect()
    }

    #[test]
    fn spans_nest_under_their_parents() {
        let events = [
            span("root", None, 0, 100),
            span("late-child", Some("root"), 60, 90),
            span("child", Some("root"), 10, 40),
            span("grandchild", Some("child"), 20, 30),
            event("e", "instant", 50),
            span("orphan", Some("gone"), 70, 80),
        ];
        let svg = steps_gantt_svg(&events, TimeScale::of(0, 70, &events));
        let order: Vec<(&str, &str)> = attribute(&svg, "data-span")
            .into_iter()
            .zip(attribute(&svg, "data-depth"))
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
        let alone = &events[4..5];
        assert!(
            steps_gantt_svg(alone, TimeScale::of(50, 50, alone)).is_empty(),
            "no steps, no chart"
        );
    }

    #[test]
    fn start_and_complete_pairs_are_bars_in_order_of_starting() {
        let events = [
            transition("1", "Check", 0, "start"),
            transition("2", "Check", 10, "start"),
            transition("3", "Check", 30, "complete"),
            transition("4", "Check", 50, "complete"),
            transition("5", "Close", 60, "complete"),
        ];
        let svg = steps_gantt_svg(&events, TimeScale::of(0, 60, &events));
        assert_eq!(attribute(&svg, "data-kind"), ["pair", "pair"]);
        assert_eq!(attribute(&svg, "data-start"), ["0", "10"]);
        assert_eq!(
            attribute(&svg, "data-end"),
            ["30", "50"],
            "first started, first completed"
        );
        assert_eq!(
            svg.matches("class=\"event-tick\"").count(),
            1,
            "the unpaired complete"
        );
    }

    #[test]
    fn both_drawings_place_a_moment_alike_on_a_labelled_axis() {
        let events = [
            event("a", "A<", 0),
            span("s", None, 40, 200),
            event("b", "B", 100),
        ];
        let scale = TimeScale::of(0, 100, &events);
        assert_eq!(scale.end, 200, "widened to the span's end");
        let timeline = timeline_svg(&events, scale);
        let gantt = steps_gantt_svg(&events, scale);
        assert_eq!(timeline.matches("class=\"step\"").count(), 3);
        assert!(timeline.contains("A&lt;"));
        for svg in [&timeline, &gantt] {
            assert_eq!(
                attribute(svg, "data-at")[..5],
                ["0", "50", "100", "150", "200"]
            );
            assert!(svg.contains("1970-01-01 00:00:00.000 UTC"));
        }
        // The span starts at 40 in both: the timeline's step and the Gantt's bar share an x.
        let x_of = |svg: &str, marker: &str| {
            let at = svg.find(marker).unwrap();
            let rest = &svg[at..];
            let x = rest.find(" x=\"").unwrap() + 4;
            rest[x..x + rest[x..].find('"').unwrap()].to_string()
        };
        let in_timeline = x_of(&timeline, "data-at=\"40\"><text");
        let step = &timeline[timeline.find("data-at=\"40\"><text").unwrap()..];
        let bar_x = &step[step.find("<rect x=\"").unwrap() + 9..];
        let bar_x = &bar_x[..bar_x.find('"').unwrap()];
        let gantt_bar = &gantt[gantt.find("data-start=\"40\"").unwrap()..];
        let gantt_x = &gantt_bar[gantt_bar.find("<rect x=\"").unwrap() + 9..];
        let gantt_x = &gantt_x[..gantt_x.find('"').unwrap()];
        assert_eq!(bar_x, gantt_x);
        assert_eq!(in_timeline, "4", "labels in the same column");
    }
}
