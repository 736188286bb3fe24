//! SVG rendering of a laid-out process map, self-contained (inline styles, no scripts), so it
//! can be served, downloaded and embedded in a report alike.

use super::{MapLayout, NodeKind};
use crate::filter::{Arc, ProcessMap};
use crate::formats::xml::escape_xml;
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
    /// Parses `frequency` or `performance`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "frequency" => Some(Self::Frequency),
            "performance" => Some(Self::Performance),
            _ => None,
        }
    }
}

fn arc_time(arc: &Arc) -> Option<i64> {
    match arc {
        Arc::Flow(e) if e.duration.count > 0 => Some(e.duration.mean),
        _ => None,
    }
}

/// Renders `map` at the coordinates of `layout`.
pub fn render_svg(map: &ProcessMap, layout: &MapLayout, mode: MapMode) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let max_count = map.arcs.iter().map(Arc::count).max().unwrap_or(1).max(1) as f64;
    let max_time = map
        .arcs
        .iter()
        .filter_map(arc_time)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let max_activity = map
        .activities
        .iter()
        .map(|a| a.count)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="process-map" data-mode="{mode}" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="Helvetica, Arial, sans-serif" font-size="12">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>
<rect width="100%" height="100%" fill="#ffffff"/>
"##,
        mode = match mode {
            MapMode::Frequency => "frequency",
            MapMode::Performance => "performance",
        },
        w = layout.width,
        h = layout.height,
    );

    for edge in &layout.edges {
        let arc = &map.arcs[edge.arc];
        let (from, to) = match arc {
            Arc::Start { to, .. } => ("▶ start".to_string(), map.activities[*to].name.clone()),
            Arc::Flow(e) => (
                map.activities[e.from].name.clone(),
                map.activities[e.to].name.clone(),
            ),
            Arc::End { from, .. } => (map.activities[*from].name.clone(), "■ end".to_string()),
        };
        let (weight, colour, label) = match (mode, arc_time(arc)) {
            (MapMode::Performance, Some(t)) => {
                let share = t as f64 / max_time;
                (
                    share,
                    format!(
                        "rgb({},{},{})",
                        120 + (135.0 * share) as u8,
                        90 - (60.0 * share) as u8,
                        80 - (50.0 * share) as u8
                    ),
                    format_duration(t),
                )
            }
            (MapMode::Performance, None) => (0.0, "#bbbbbb".to_string(), String::new()),
            (MapMode::Frequency, _) => {
                let share = arc.count() as f64 / max_count;
                (
                    share,
                    format!("rgb({0},{0},{0})", 150 - (110.0 * share) as u8),
                    arc.count().to_string(),
                )
            }
        };
        let stroke = 1.0 + 7.0 * weight;
        let dashed = if matches!(arc, Arc::Start { .. } | Arc::End { .. }) {
            r#" stroke-dasharray="5,4""#
        } else {
            ""
        };
        let _ = write!(
            out,
            r#"<g class="edge" data-from="{}" data-to="{}" data-count="{}"><path d="{}" fill="none" stroke="{colour}" stroke-width="{stroke:.1}"{dashed} marker-end="url(#arrow)"/>"#,
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
                lx + 5.0,
                ly + 4.0,
                escape_xml(&label)
            );
        }
        out.push_str("</g>\n");
    }

    for node in &layout.nodes {
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
                let share = activity.count as f64 / max_activity;
                let fill = format!(
                    "rgb({},{},{})",
                    235 - (150.0 * share) as u8,
                    242 - (110.0 * share) as u8,
                    255 - (60.0 * share) as u8
                );
                let ink = if share > 0.6 { "#fff" } else { "#0d2340" };
                let detail = match mode {
                    MapMode::Frequency => activity.count.to_string(),
                    MapMode::Performance
                        if activity.service.count > 0 && activity.waiting.count > 0 =>
                    {
                        format!(
                            "wait {} · service {}",
                            format_duration(activity.waiting.mean),
                            format_duration(activity.service.mean)
                        )
                    }
                    MapMode::Performance if activity.service.count > 0 => {
                        format!("service {}", format_duration(activity.service.mean))
                    }
                    MapMode::Performance if activity.time_to_next.count > 0 => {
                        format!("next in {}", format_duration(activity.time_to_next.mean))
                    }
                    MapMode::Performance => "—".to_string(),
                };
                let _ = writeln!(
                    out,
                    r##"<g class="node" data-activity="{name}" data-count="{count}"><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="6" fill="{fill}" stroke="#1f3b66" stroke-width="1.2"/><text x="{cx:.1}" y="{ty:.1}" text-anchor="middle" fill="{ink}" font-weight="bold">{name}</text><text x="{cx:.1}" y="{dy:.1}" text-anchor="middle" fill="{ink}" font-size="11">{detail}</text></g>"##,
                    name = escape_xml(&activity.name),
                    count = activity.count,
                    cx = node.x,
                    ty = node.y - 3.0,
                    dy = node.y + 13.0,
                    detail = escape_xml(&detail),
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
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
        let freq = render_svg(&map, &l, MapMode::Frequency);
        assert!(freq.starts_with("<svg"));
        assert!(freq.contains(r#"data-activity="Order &lt;&amp;&gt; placed""#));
        assert_eq!(freq.matches(r#"class="node""#).count(), 2);
        assert_eq!(freq.matches(r#"class="edge""#).count(), 3);
        assert!(freq.contains(">4</text>"));
        let perf = render_svg(&map, &l, MapMode::Performance);
        assert!(perf.contains(">3m 0s</text>"));
        assert!(perf.contains(r#"data-mode="performance""#));
    }
}
