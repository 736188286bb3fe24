//! SVG rendering of a laid-out process map, self-contained (inline styles, no scripts), so it
//! can be served, downloaded and embedded in a report alike.

use super::contrast::{activity_shade, ink_on};
use super::{MapLayout, NodeKind, PlacedEdge, PlacedNode};
use crate::discovery::ActivityStats;
use crate::filter::{is_span, Arc, ProcessMap};
use crate::formats::xml::escape_xml;
use crate::performance::DurationStats;
use crate::time::format_duration;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// What the map's labels and weights show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MapMode {
    /// Counts: how often activities and paths occur.
    #[default]
    Frequency,
    /// Times: mean time on each path, slow paths drawn heavier and redder.
    Performance,
}

impl MapMode {
    /// The name used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Frequency => "frequency",
            Self::Performance => "performance",
        }
    }

    /// Parses `frequency` or `performance`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "frequency" => Some(Self::Frequency),
            "performance" => Some(Self::Performance),
            _ => None,
        }
    }
}

/// What a map's labels, path thickness and path colour measure: a count in the frequency
/// map, a statistic of the times in the performance map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MapMetric {
    /// How often each activity occurs and each path is taken.
    Events,
    /// How many cases contain each activity (paths: how often they are taken).
    Cases,
    /// Total time spent on each path: where the most time is lost.
    Total,
    /// Mean time on each path.
    Mean,
    /// Median time on each path.
    Median,
    /// 95th percentile of the times on each path.
    P95,
    /// Longest time on each path.
    Max,
}

impl MapMetric {
    /// Every metric, frequency ones first.
    pub const ALL: [Self; 7] = [
        Self::Events,
        Self::Cases,
        Self::Total,
        Self::Mean,
        Self::Median,
        Self::P95,
        Self::Max,
    ];

    /// The name used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Events => "events",
            Self::Cases => "cases",
            Self::Total => "total",
            Self::Mean => "mean",
            Self::Median => "median",
            Self::P95 => "p95",
            Self::Max => "max",
        }
    }

    /// Parses the name used in URLs.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// The map it belongs to.
    pub fn mode(self) -> MapMode {
        match self {
            Self::Events | Self::Cases => MapMode::Frequency,
            _ => MapMode::Performance,
        }
    }

    /// The metric a map shows unless asked otherwise: counts of events, or the total time lost
    /// (a slow path few cases take matters less than a slower-on-average busy one).
    pub fn default_for(mode: MapMode) -> Self {
        match mode {
            MapMode::Frequency => Self::Events,
            MapMode::Performance => Self::Total,
        }
    }

    /// What it measures, for the legend.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Events => "times taken",
            Self::Cases => "times taken (activities: cases containing them)",
            Self::Total => "total time",
            Self::Mean => "mean time",
            Self::Median => "median time",
            Self::P95 => "95th percentile time",
            Self::Max => "longest time",
        }
    }

    /// The statistic of `d` this metric shows (times only).
    pub(super) fn of(self, d: &DurationStats) -> i64 {
        match self {
            Self::Total => d.total,
            Self::Median => d.median,
            Self::P95 => d.p95,
            Self::Max => d.max,
            _ => d.mean,
        }
    }

    /// The value a path is drawn by: its count, or its time (none for a path without times).
    pub(super) fn of_arc(self, arc: &Arc) -> Option<i64> {
        match (self.mode(), arc) {
            (MapMode::Frequency, _) => Some(arc.count() as i64),
            (MapMode::Performance, Arc::Flow(e)) if e.duration.count > 0 => {
                Some(self.of(&e.duration))
            }
            (MapMode::Performance, _) => None,
        }
    }

    /// The label of a value of this metric.
    pub(super) fn label(self, value: i64) -> String {
        match self.mode() {
            MapMode::Frequency => value.to_string(),
            MapMode::Performance => format_duration(value),
        }
    }
}

/// Height of the legend under the map.
const LEGEND_HEIGHT: f64 = 44.0;

/// The colour of a path carrying `share` (0–1) of the largest value.
fn arc_colour(metric: MapMetric, share: f64) -> String {
    match metric.mode() {
        MapMode::Performance => format!(
            "rgb({},{},{})",
            120 + (135.0 * share) as u8,
            90 - (60.0 * share) as u8,
            80 - (50.0 * share) as u8
        ),
        MapMode::Frequency => format!("rgb({0},{0},{0})", 150 - (110.0 * share) as u8),
    }
}

/// How one path is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct ArcLook {
    /// Its thickness, 0 (thinnest) to 1 (thickest).
    pub weight: f64,
    /// Its colour.
    pub colour: String,
    /// Its label (none when empty).
    pub label: String,
    /// More attributes of its group, written as they are (e.g. ` data-change="12"`).
    pub attributes: String,
}

/// What a drawing of a map shows beyond its shape: each path's look, what the activities
/// show, and the legend under it. The metric map and the comparison of two maps are two looks.
pub trait MapLook {
    /// The attributes of the `<svg>` element saying what it shows (`data-mode="…"`).
    fn attributes(&self) -> String;
    /// How a path is drawn.
    fn arc(&self, arc: &Arc, from: &str, to: &str) -> ArcLook;
    /// The strands a path is drawn as, side by side: one, unless the look splits a path
    /// (the object-centric map draws one strand per object type taking it).
    fn strands(&self, arc: &Arc, from: &str, to: &str) -> Vec<ArcLook> {
        vec![self.arc(arc, from, to)]
    }
    /// The measure of the activities' shade and second line.
    fn metric(&self) -> MapMetric;
    /// Writes the legend's elements, at the top of the legend's band.
    fn legend(&self, out: &mut String);
}

/// The look of a map measured by a metric, paths scaled to the largest value.
struct MetricLook {
    metric: MapMetric,
    largest: i64,
}

impl MapLook for MetricLook {
    fn attributes(&self) -> String {
        format!(
            r#"data-mode="{}" data-metric="{}""#,
            self.metric.mode().as_str(),
            self.metric.as_str()
        )
    }

    fn arc(&self, arc: &Arc, _: &str, _: &str) -> ArcLook {
        match self.metric.of_arc(arc) {
            Some(value) => {
                let share = value as f64 / self.largest as f64;
                ArcLook {
                    weight: share,
                    colour: arc_colour(self.metric, share),
                    label: self.metric.label(value),
                    attributes: String::new(),
                }
            }
            None => ArcLook {
                weight: 0.0,
                colour: "#bbbbbb".to_string(),
                label: String::new(),
                attributes: String::new(),
            },
        }
    }

    fn metric(&self) -> MapMetric {
        self.metric
    }

    fn legend(&self, out: &mut String) {
        legend(out, self.metric, self.largest);
    }
}

/// Renders `map` at the coordinates of `layout`, measured by `metric`, with a legend.
pub fn render_svg(map: &ProcessMap, layout: &MapLayout, metric: MapMetric) -> String {
    let largest = map
        .arcs
        .iter()
        .filter_map(|a| metric.of_arc(a))
        .max()
        .unwrap_or(1)
        .max(1);
    render_look(map, layout, &MetricLook { metric, largest })
}

/// Renders `map` at the coordinates of `layout` in `look`, with its legend under the map.
pub fn render_look(map: &ProcessMap, layout: &MapLayout, look: &dyn MapLook) -> String {
    let metric = look.metric();
    let mut out = String::with_capacity(16 * 1024);
    let max_activity = map
        .activities
        .iter()
        .map(|a| node_count(metric, a))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let height = layout.height + LEGEND_HEIGHT;
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="process-map" {attributes} width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="Helvetica, Arial, sans-serif" font-size="12">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>
<rect width="100%" height="100%" fill="#ffffff"/>
"##,
        attributes = look.attributes(),
        w = layout.width,
        h = height,
    );

    for edge in &layout.edges {
        write_edge(&mut out, map, edge, look);
    }
    for node in &layout.nodes {
        write_node(&mut out, map, node, metric, max_activity);
    }
    let _ = write!(
        out,
        r#"<g class="legend" transform="translate(12,{:.1})">"#,
        layout.height + 8.0
    );
    look.legend(&mut out);
    out.push_str("</g></svg>\n");
    out
}

/// One arc of the map along its route, a path per strand of `look`, each with its label.
fn write_edge(out: &mut String, map: &ProcessMap, edge: &PlacedEdge, look: &dyn MapLook) {
    let arc = &map.arcs[edge.arc];
    let (from, to) = match arc {
        Arc::Start { to, .. } => ("▶ start".to_string(), map.activities[*to].name.clone()),
        Arc::Flow(e) => (
            map.activities[e.from].name.clone(),
            map.activities[e.to].name.clone(),
        ),
        Arc::End { from, .. } => (map.activities[*from].name.clone(), "■ end".to_string()),
    };
    let strands = look.strands(arc, &from, &to);
    let dashed = if matches!(arc, Arc::Start { .. } | Arc::End { .. }) {
        r#" stroke-dasharray="5,4""#
    } else {
        ""
    };
    for (i, strand) in strands.iter().enumerate() {
        let ArcLook {
            weight,
            colour,
            label,
            attributes,
        } = strand;
        let stroke = 1.0 + 7.0 * weight;
        let (dx, dy) = strand_offset(&edge.points, i, strands.len());
        let moved = if strands.len() > 1 {
            format!(r#" transform="translate({dx:.1},{dy:.1})""#)
        } else {
            String::new()
        };
        let _ = write!(
            out,
            r#"<g class="edge" data-from="{}" data-to="{}" data-count="{}"{attributes}{moved}><path d="{}" fill="none" stroke="{colour}" stroke-width="{stroke:.1}"{dashed} marker-end="url(#arrow)"/>"#,
            escape_xml(&from),
            escape_xml(&to),
            arc.count(),
            path(&edge.points, edge.self_loop),
        );
        if !label.is_empty() {
            let (lx, ly) = label_point(&edge.points);
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" fill="#333" font-size="11" paint-order="stroke" stroke="#fff" stroke-width="3">{}</text>"##,
                lx + 5.0 - dx,
                ly + 4.0 - dy + 13.0 * i as f64,
                escape_xml(label)
            );
        }
        out.push_str("</g>\n");
    }
}

/// One node of the map: a terminal, or an activity shaded by its share of the busiest
/// activity's `metric`, drawn as a span or an event.
fn write_node(
    out: &mut String,
    map: &ProcessMap,
    node: &PlacedNode,
    metric: MapMetric,
    max_activity: f64,
) {
    let (x, y, w, h) = (
        node.x - node.width / 2.0,
        node.y - node.height / 2.0,
        node.width,
        node.height,
    );
    match node.kind {
        NodeKind::Start | NodeKind::End => {
            let (name, fill) = if node.kind == NodeKind::Start {
                ("start", "#2e7d32")
            } else {
                ("end", "#b71c1c")
            };
            let _ = writeln!(
                out,
                r##"<g class="terminal" data-terminal="{name}"><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="14" fill="{fill}"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#fff" font-weight="bold">{name}</text></g>"##,
                node.x,
                node.y + 4.0
            );
        }
        NodeKind::Activity(a) => {
            let activity = &map.activities[a];
            let share = node_count(metric, activity) as f64 / max_activity;
            let shade = activity_shade(share);
            let fill = format!("rgb({},{},{})", shade[0], shade[1], shade[2]);
            let ink = ink_on(shade);
            let detail = node_detail(metric, activity);
            let span = is_span(activity);
            let _ = writeln!(
                out,
                r##"<g class="node" data-activity="{name}" data-count="{count}" data-kind="{kind}"><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="{rx}" fill="{fill}" stroke="#1f3b66" stroke-width="{border}"{dash}/><text x="{cx:.1}" y="{ty:.1}" text-anchor="middle" fill="{ink}" font-weight="bold">{name}</text><text x="{cx:.1}" y="{dy:.1}" text-anchor="middle" fill="{ink}" font-size="11">{detail}</text></g>"##,
                name = escape_xml(&activity.name),
                count = activity.count,
                kind = if span { "span" } else { "event" },
                rx = if span { 16 } else { 6 },
                border = if span { 2.0 } else { 1.2 },
                dash = if span {
                    r#" stroke-dasharray="5,3""#
                } else {
                    ""
                },
                cx = node.x,
                ty = node.y - 3.0,
                dy = node.y + 13.0,
                detail = escape_xml(&detail),
            );
        }
    }
}

/// What an activity's shade measures: its events, or with the cases metric its cases.
fn node_count(metric: MapMetric, activity: &ActivityStats) -> u64 {
    match metric {
        MapMetric::Cases => activity.cases,
        _ => activity.count,
    }
}

/// The second line of an activity: its count, or its times by the metric's statistic.
fn node_detail(metric: MapMetric, a: &ActivityStats) -> String {
    let time = |d: &DurationStats| format_duration(metric.of(d));
    match metric.mode() {
        MapMode::Frequency => node_count(metric, a).to_string(),
        MapMode::Performance if a.service.count > 0 && a.waiting.count > 0 => {
            format!("wait {} · service {}", time(&a.waiting), time(&a.service))
        }
        MapMode::Performance if a.service.count > 0 => format!("service {}", time(&a.service)),
        MapMode::Performance if a.time_to_next.count > 0 => {
            format!("next in {}", time(&a.time_to_next))
        }
        MapMode::Performance => "—".to_string(),
    }
}

/// The legend of a metric map: what thickness and colour of paths and the shade of
/// activities measure, with the scale from the least to the largest value drawn.
fn legend(out: &mut String, metric: MapMetric, largest: i64) {
    let _ = write!(
        out,
        r##"<text x="0" y="11" fill="#333" font-size="11" data-metric="{metric}">Paths: {what}, thin and light to thick and {dark}</text>"##,
        metric = metric.as_str(),
        what = escape_xml(metric.describe()),
        dark = match metric.mode() {
            MapMode::Frequency => "dark",
            MapMode::Performance => "red",
        },
    );
    for step in 0..=4 {
        let share = f64::from(step) / 4.0;
        let x = f64::from(step) * 34.0;
        let _ = write!(
            out,
            r#"<line x1="{x:.1}" y1="24" x2="{:.1}" y2="24" stroke="{}" stroke-width="{:.1}"/>"#,
            x + 30.0,
            arc_colour(metric, share),
            1.0 + 7.0 * share
        );
    }
    let activities = match metric {
        MapMetric::Cases => "cases",
        _ => "events",
    };
    let _ = write!(
        out,
        r##"<text x="176" y="28" fill="#333" font-size="11">up to {}; activities shaded by {activities}; dashed pills: steps with a duration (spans)</text>"##,
        escape_xml(&metric.label(largest)),
    );
}

/// A smooth path through the route: vertical tangents at each point, as layered maps look best.
fn path(points: &[(f64, f64)], self_loop: bool) -> String {
    let mut d = format!("M{:.1},{:.1}", points[0].0, points[0].1);
    if self_loop {
        let (a, b, c) = (points[0], points[1], points[2]);
        let _ = write!(
            d,
            " C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
            b.0,
            a.1 - 14.0,
            b.0,
            c.1 + 14.0,
            c.0,
            c.1
        );
        return d;
    }
    for w in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let mid = (y0 + y1) / 2.0;
        let _ = write!(d, " C{x0:.1},{mid:.1} {x1:.1},{mid:.1} {x1:.1},{y1:.1}");
    }
    d
}

/// Where strand `i` of `n` of a path is moved to lie beside the others: across the line from
/// its first to its last point, 5 px apart, the middle strand on the path.
fn strand_offset(points: &[(f64, f64)], i: usize, n: usize) -> (f64, f64) {
    let (first, last) = (points[0], points[points.len() - 1]);
    let (x, y) = (last.0 - first.0, last.1 - first.1);
    let length = x.hypot(y);
    let (nx, ny) = if length > 0.0 {
        (-y / length, x / length)
    } else {
        (0.0, 1.0)
    };
    let shift = 5.0 * (i as f64 - (n as f64 - 1.0) / 2.0);
    (nx * shift, ny * shift)
}

fn label_point(points: &[(f64, f64)]) -> (f64, f64) {
    if points.len() == 3 {
        return points[1];
    }
    let i = (points.len() - 1) / 2;
    let (a, b) = (points[i], points[i + 1]);
    ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::ProcessStats;
    use crate::filter::simplify_paths;
    use crate::layout::layout;
    use crate::log::EventLogBuilder;
    use crate::time::MINUTE;

    #[test]
    fn draws_every_activity_and_arc_with_mode_specific_labels() {
        let mut b = EventLogBuilder::new();
        for i in 0..4 {
            b.start_case(i.to_string());
            b.push_event("Order <&> placed", Some(0));
            b.push_event("Paid", Some(3 * MINUTE));
        }
        let map = simplify_paths(&ProcessStats::from_log(&b.build()), 100);
        let l = layout(&map);
        let freq = render_svg(&map, &l, MapMetric::Events);
        assert!(freq.starts_with("<svg"));
        assert!(freq.contains(r#"data-activity="Order &lt;&amp;&gt; placed""#));
        assert_eq!(freq.matches(r#"class="node""#).count(), 2);
        assert_eq!(freq.matches(r#"class="edge""#).count(), 3);
        assert!(freq.contains(">4</text>"));
        let perf = render_svg(&map, &l, MapMetric::default_for(MapMode::Performance));
        assert!(perf.contains(">12m 0s</text>"), "total time by default");
        assert!(perf.contains(r#"data-mode="performance""#));
        assert!(perf.contains("Paths: total time") && perf.contains("up to 12m 0s"));
        let mean = render_svg(&map, &l, MapMetric::Mean);
        assert!(mean.contains(">3m 0s</text>"));
        let cases = render_svg(&map, &l, MapMetric::Cases);
        assert!(cases.contains("activities shaded by cases"));
    }
}
