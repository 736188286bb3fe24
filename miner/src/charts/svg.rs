//! The charts drawn as self-contained SVG (inline styles, no scripts), like the process map,
//! so that a page, a download and a PNG show the same picture. Every mark carries its values
//! as `data-` attributes, for tests and for tooltips.

use super::{CasesOverTime, DottedCase, Histogram};
use crate::formats::xml::escape_xml;
use crate::time::{format_duration, format_timestamp, Micros, DAY};
use std::collections::HashMap;
use std::fmt::Write;

/// Size of a chart and of its margins (left for counts, bottom for the time axis).
const WIDTH: f64 = 880.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 42.0;

/// Colours of the series, distinct for colour-blind readers (Okabe–Ito).
const STARTED: &str = "#0072b2";
const COMPLETED: &str = "#009e73";
const IN_PROGRESS: &str = "#d55e00";
const PALETTE: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
];

/// The plotting area: x from `LEFT` to `WIDTH - RIGHT`, y from `TOP` down to `bottom`.
struct Plot {
    bottom: f64,
}

impl Plot {
    fn width(&self) -> f64 {
        WIDTH - LEFT - RIGHT
    }

    fn height(&self) -> f64 {
        self.bottom - TOP
    }
}

/// Opens a chart of `height` with its title.
fn open(out: &mut String, class: &str, title: &str, height: f64) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart {class}" width="{WIDTH:.0}" height="{height:.0}" viewBox="0 0 {WIDTH:.0} {height:.0}" font-family="Helvetica, Arial, sans-serif" font-size="11"><rect width="100%" height="100%" fill="#ffffff"/><text x="{LEFT:.0}" y="16" font-size="13" font-weight="bold" fill="#14213d">{}</text>"##,
        escape_xml(title)
    );
}

/// A round step for an axis up to `max` in about five ticks.
fn count_step(max: u64) -> u64 {
    let rough = (max / 5).max(1);
    let magnitude = 10u64.pow(rough.ilog10());
    [1, 2, 5, 10]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= rough)
        .unwrap_or(10 * magnitude)
}

/// The count axis up to `max`, with grid lines.
fn count_axis(out: &mut String, plot: &Plot, max: u64) {
    let step = count_step(max);
    let top = max.div_ceil(step).max(1) * step;
    let mut tick = 0;
    while tick <= top {
        let y = plot.bottom - plot.height() * tick as f64 / top as f64;
        let _ = write!(
            out,
            r##"<line x1="{LEFT:.0}" y1="{y:.1}" x2="{:.0}" y2="{y:.1}" stroke="#e3e8ef"/><text x="{:.0}" y="{:.1}" text-anchor="end" fill="#333">{tick}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
        tick += step;
    }
}

/// The largest value the count axis shows for data up to `max`.
fn axis_top(max: u64) -> u64 {
    let step = count_step(max);
    max.div_ceil(step).max(1) * step
}

/// A time axis from `lo` to `hi` with about six labelled ticks (dates, or times within a
/// couple of days).
fn time_axis(out: &mut String, plot: &Plot, lo: Micros, hi: Micros) {
    let span = (hi - lo).max(1);
    for i in 0..=5 {
        let t = lo + span * i / 5;
        let x = LEFT + plot.width() * i as f64 / 5.0;
        let text = format_timestamp(t);
        let label = if span < 2 * DAY {
            text[5..16].replace('T', " ")
        } else {
            text[..10].to_string()
        };
        let anchor = match i {
            0 => "start",
            5 => "end",
            _ => "middle",
        };
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{b:.1}" x2="{x:.1}" y2="{:.1}" stroke="#555"/><text x="{x:.1}" y="{:.1}" text-anchor="{anchor}" fill="#333">{label}</text>"##,
            plot.bottom + 4.0,
            plot.bottom + 17.0,
            b = plot.bottom,
        );
    }
    let _ = write!(
        out,
        r##"<text x="{:.0}" y="{:.0}" text-anchor="end" fill="#555">UTC</text>"##,
        WIDTH - RIGHT,
        plot.bottom + 34.0
    );
}

/// A legend entry at `x` on the title line.
fn key(out: &mut String, x: f64, colour: &str, text: &str) {
    let _ = write!(
        out,
        r##"<rect x="{x:.0}" y="7" width="12" height="12" fill="{colour}"/><text x="{:.0}" y="17" fill="#333">{}</text>"##,
        x + 16.0,
        escape_xml(text)
    );
}

/// Cases started and completed per period as bars, the work in progress as a line.
pub fn cases_svg(chart: &CasesOverTime) -> String {
    let mut out = String::with_capacity(8 * 1024);
    open(&mut out, "cases-over-time", "Cases over time", HEIGHT);
    key(&mut out, 330.0, STARTED, "started");
    key(&mut out, 420.0, COMPLETED, "completed");
    key(
        &mut out,
        520.0,
        IN_PROGRESS,
        "in progress at the end of each period",
    );
    let plot = Plot {
        bottom: HEIGHT - BOTTOM,
    };
    let max = chart
        .periods
        .iter()
        .map(|p| p.started.max(p.completed).max(p.in_progress))
        .max()
        .unwrap_or(0);
    count_axis(&mut out, &plot, max);
    let top = axis_top(max) as f64;
    let n = chart.periods.len().max(1) as f64;
    let slot = plot.width() / n;
    let y = |v: u64| plot.bottom - plot.height() * v as f64 / top;
    let mut line = Vec::new();
    for (i, p) in chart.periods.iter().enumerate() {
        let x = LEFT + slot * i as f64;
        let bar = (slot * 0.4).max(1.0);
        for (offset, class, colour, value) in [
            (0.1, "started", STARTED, p.started),
            (0.5, "completed", COMPLETED, p.completed),
        ] {
            let _ = write!(
                out,
                r#"<rect class="period {class}" data-start="{}" data-count="{value}" x="{:.1}" y="{:.1}" width="{bar:.1}" height="{:.1}" fill="{colour}"><title>{}: {value} {class}</title></rect>"#,
                p.start,
                x + slot * offset,
                y(value),
                plot.bottom - y(value),
                format_timestamp(p.start),
            );
        }
        line.push(format!("{:.1},{:.1}", x + slot, y(p.in_progress)));
    }
    let values: Vec<String> = chart
        .periods
        .iter()
        .map(|p| p.in_progress.to_string())
        .collect();
    let _ = write!(
        out,
        r#"<polyline class="in-progress" data-values="{}" points="{}" fill="none" stroke="{IN_PROGRESS}" stroke-width="2"/>"#,
        values.join(" "),
        line.join(" ")
    );
    if let (Some(first), Some(last)) = (chart.periods.first(), chart.periods.last()) {
        time_axis(&mut out, &plot, first.start, last.start + chart.period);
    }
    out.push_str("</svg>\n");
    out
}

/// Durations as bars under `title`, with the median and 95th percentile marked.
pub fn histogram_svg(h: &Histogram, title: &str) -> String {
    let mut out = String::with_capacity(8 * 1024);
    open(&mut out, "durations", title, HEIGHT);
    let plot = Plot {
        bottom: HEIGHT - BOTTOM,
    };
    let max = h.bins.iter().map(|b| b.count).max().unwrap_or(0);
    count_axis(&mut out, &plot, max);
    let top = axis_top(max) as f64;
    let end = h.bins.last().map_or(1, |b| b.to).max(1) as f64;
    let x = |d: Micros| LEFT + plot.width() * d as f64 / end;
    for b in &h.bins {
        let height = plot.height() * b.count as f64 / top;
        let _ = write!(
            out,
            r##"<rect class="bin" data-from="{}" data-to="{}" data-count="{}" x="{:.1}" y="{:.1}" width="{:.1}" height="{height:.1}" fill="#0072b2" stroke="#fff"><title>{} to {}: {} cases</title></rect>"##,
            b.from,
            b.to,
            b.count,
            x(b.from),
            plot.bottom - height,
            (x(b.to) - x(b.from)).max(1.0),
            format_duration(b.from),
            format_duration(b.to),
            b.count
        );
    }
    for (class, label, at) in [
        ("median", "median", h.stats.median),
        ("p95", "95th percentile", h.stats.p95),
    ] {
        if h.stats.count == 0 {
            break;
        }
        let _ = write!(
            out,
            r##"<g class="marker {class}" data-at="{at}"><line x1="{x:.1}" y1="{TOP:.0}" x2="{x:.1}" y2="{:.1}" stroke="#d55e00" stroke-dasharray="4,3"/><text x="{:.1}" y="{:.0}" fill="#a03c00">{label} {}</text></g>"##,
            plot.bottom,
            x(at) + 4.0,
            if class == "median" {
                TOP + 10.0
            } else {
                TOP + 24.0
            },
            format_duration(at),
            x = x(at),
        );
    }
    for i in 0..=5 {
        let d = (end * i as f64 / 5.0) as Micros;
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#333">{}</text>"##,
            x(d),
            plot.bottom + 17.0,
            format_duration(d)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// Each case's events as dots on a time axis, one row per case (in the order given), coloured
/// by activity: the eight most frequent have their own colour, the others grey.
pub fn dotted_svg(cases: &[DottedCase]) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, activity) in cases.iter().flat_map(|c| &c.events) {
        *counts.entry(activity.as_str()).or_default() += 1;
    }
    let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let colour: HashMap<&str, &str> = ranked
        .iter()
        .zip(PALETTE)
        .map(|((a, _), c)| (*a, c))
        .collect();
    let row = (400.0 / cases.len().max(1) as f64).clamp(2.0, 14.0);
    let keys = ranked.len().min(PALETTE.len());
    let legend = 18.0 * keys.div_ceil(4) as f64;
    let height = TOP + legend + row * cases.len() as f64 + BOTTOM;
    let mut out = String::with_capacity(32 * 1024);
    open(
        &mut out,
        "dotted",
        "Events over time, one row per case",
        height,
    );
    for (i, (activity, _)) in ranked.iter().take(keys).enumerate() {
        let (x, y) = (LEFT + 200.0 * (i % 4) as f64, TOP + 18.0 * (i / 4) as f64);
        let _ = write!(
            out,
            r##"<circle cx="{x:.0}" cy="{:.0}" r="5" fill="{}"/><text x="{:.0}" y="{:.0}" fill="#333">{}</text>"##,
            y - 4.0,
            colour[activity],
            x + 9.0,
            y,
            escape_xml(activity)
        );
    }
    let times = || cases.iter().flat_map(|c| c.events.iter().map(|e| e.0));
    let (lo, hi) = (times().min().unwrap_or(0), times().max().unwrap_or(1));
    let plot = Plot {
        bottom: height - BOTTOM,
    };
    let span = (hi - lo).max(1) as f64;
    let top = TOP + legend;
    for (i, case) in cases.iter().enumerate() {
        let y = top + row * (i as f64 + 0.5);
        let _ = write!(
            out,
            r#"<g class="case" data-case="{}">"#,
            escape_xml(&case.name)
        );
        for (at, activity) in &case.events {
            let _ = write!(
                out,
                r#"<circle class="dot" data-activity="{}" data-at="{at}" cx="{:.1}" cy="{y:.1}" r="{:.1}" fill="{}"/>"#,
                escape_xml(activity),
                LEFT + plot.width() * (at - lo) as f64 / span,
                (row / 2.5).clamp(1.5, 4.0),
                colour.get(activity.as_str()).copied().unwrap_or("#999999"),
            );
        }
        out.push_str("</g>");
    }
    if !cases.is_empty() {
        time_axis(&mut out, &plot, lo, hi);
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::{cases_over_time, duration_histogram, CaseSpan};
    use super::*;
    use crate::time::{HOUR, MINUTE};

    #[test]
    fn draws_each_period_bin_and_event_with_its_values() {
        let spans = [
            CaseSpan {
                first: 0,
                last: 2 * HOUR,
                completed: true,
            },
            CaseSpan {
                first: HOUR,
                last: 3 * HOUR,
                completed: false,
            },
        ];
        let svg = cases_svg(&cases_over_time(&spans, 10));
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches(r#"class="period started""#).count(), 4);
        assert!(svg.contains(r#"data-values="1 2 1 1""#), "{svg}");
        let h = histogram_svg(
            &duration_histogram(vec![MINUTE, 3 * MINUTE], 10),
            "Case durations",
        );
        assert!(h.contains(r#"class="bin" data-from="60000000""#));
        assert!(h.contains("median 2m 0s"));
        let dotted = dotted_svg(&[DottedCase {
            name: "a<b".into(),
            events: vec![(0, "pay".into()), (MINUTE, "ship".into())],
        }]);
        assert_eq!(dotted.matches(r#"class="dot""#).count(), 2);
        assert!(dotted.contains(r#"data-case="a&lt;b""#));
    }
}
