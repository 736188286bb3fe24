//! The HTML report: a self-contained, printable page of key figures, the map, top variants and
//! bottlenecks.

use super::{FilterSummary, MapView, VARIANT_SEPARATOR};
use crate::WebError;
use miner::filter::StepKinds;
use miner::time::{format_duration, format_timestamp, Micros};

/// Variants and bottlenecks listed in the HTML report.
const REPORT_ROWS: usize = 15;

#[derive(askama::Template)]
#[template(path = "report.html")]
struct Report {
    generated: String,
    filters: String,
    cases: u64,
    events: u64,
    activities: usize,
    variants: usize,
    period: String,
    median: String,
    mean: String,
    p95: String,
    svg: String,
    variant_rows: Vec<(usize, u64, String, String, String)>,
    bottleneck_rows: Vec<(String, String, u64, String, String, String, String)>,
}

impl FilterSummary {
    /// The filters as one line for people, e.g. `activities 40%, paths 100%, from 2026-01-05`.
    pub fn describe(&self) -> String {
        let mut parts = vec![
            format!("{:?} map", self.mode).to_lowercase(),
            format!("activities {}%", self.activities),
            format!("paths {}%", self.paths),
        ];
        match self.steps {
            StepKinds::Both => {}
            StepKinds::Events => parts.push("instant events only".into()),
            StepKinds::Spans => parts.push("steps with a duration only".into()),
        }
        parts.extend(self.described.iter().cloned());
        parts.join(", ")
    }
}

impl MapView {
    /// A self-contained, printable HTML report: key figures, the map as inline SVG, top
    /// variants and bottlenecks, the filters in force and when it was made (`now`, UTC µs).
    pub fn html_report(&self, now: Micros) -> Result<String, WebError> {
        use askama::Template;
        let s = &self.full;
        let t = &s.throughput;
        let period = match (s.first_event, s.last_event) {
            (Some(a), Some(b)) => format!(
                "{} – {}",
                &format_timestamp(a)[..10],
                &format_timestamp(b)[..10]
            ),
            _ => "—".into(),
        };
        let report = Report {
            generated: format_timestamp(now),
            filters: self.filters.describe(),
            cases: s.cases,
            events: s.events,
            activities: s.activities.len(),
            variants: s.variants.len(),
            period,
            median: format_duration(t.median),
            mean: format_duration(t.mean),
            p95: format_duration(t.p95),
            svg: self.svg(),
            variant_rows: s
                .variants
                .iter()
                .take(REPORT_ROWS)
                .enumerate()
                .map(|(i, v)| {
                    let share = format!("{:.1}%", v.count as f64 * 100.0 / s.cases.max(1) as f64);
                    (
                        i + 1,
                        v.count,
                        share,
                        format_duration(v.mean_throughput),
                        s.variant_names(v).join(VARIANT_SEPARATOR),
                    )
                })
                .collect(),
            bottleneck_rows: self
                .bottlenecks()
                .by_total
                .iter()
                .take(REPORT_ROWS)
                .map(|e| {
                    let d = &e.duration;
                    (
                        e.from.clone(),
                        e.to.clone(),
                        d.count,
                        format_duration(d.total),
                        format!("{:.1}%", e.share * 100.0),
                        format_duration(d.median),
                        format_duration(d.p95),
                    )
                })
                .collect(),
        };
        Ok(report.render()?)
    }
}
