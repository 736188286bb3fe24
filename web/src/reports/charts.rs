//! The charts of the selected instances (cases over time, case durations, the dotted chart):
//! what each reads from the store, and each as SVG, PNG or CSV. The charts page and the
//! exports draw them from here, so a download is what the page shows.

use super::csv::seconds;
use super::{selected_instances, Selection};
use crate::WebError;
use collector::store::{CaseFilter, InstanceQuery, InstanceStatus, InstanceSummary, Store};
use miner::charts::{
    cases_over_time, cases_svg, dotted_svg, duration_histogram, histogram_svg, CaseSpan,
    CasesOverTime, DottedCase, Histogram,
};
use miner::formats::csv::{Cells, CsvWriter};
use miner::time::format_timestamp;

/// Most periods of the cases-over-time chart, and most bins of the histogram.
const PERIODS: usize = 60;
const BINS: usize = 40;
/// Cases the dotted chart draws: the latest active ones.
pub const DOTTED_CASES: u64 = 200;

/// Which chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Cases started and completed per period, and in progress.
    CasesOverTime,
    /// Case durations.
    Durations,
    /// Events over time, one row per case.
    Dotted,
}

impl Chart {
    /// Every chart, in page order.
    pub const ALL: [Self; 3] = [Self::CasesOverTime, Self::Durations, Self::Dotted];

    /// Its name in export file names (`cases-over-time.svg`).
    pub fn name(self) -> &'static str {
        match self {
            Self::CasesOverTime => "cases-over-time",
            Self::Durations => "durations",
            Self::Dotted => "dotted",
        }
    }

    /// The chart an export file's stem names.
    pub fn parse(stem: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == stem)
    }
}

/// A chart with its data, ready to draw or write.
#[derive(Debug, Clone)]
pub enum ChartData {
    /// Cases over time.
    CasesOverTime(CasesOverTime),
    /// Case durations.
    Durations(Histogram),
    /// The dotted chart's cases.
    Dotted(Vec<DottedCase>),
}

/// Every instance `cases` selects, latest activity first.
fn selected(store: &dyn Store, cases: &CaseFilter) -> Result<Vec<InstanceSummary>, WebError> {
    let selection = Selection {
        cases: cases.clone(),
        ..Default::default()
    };
    selected_instances(store, &selection)
}

/// Each instance's first and last event and whether it completed.
fn spans(instances: &[InstanceSummary]) -> Vec<CaseSpan> {
    instances
        .iter()
        .map(|i| CaseSpan {
            first: i.first_event,
            last: i.last_event,
            completed: i.status == InstanceStatus::Completed,
        })
        .collect()
}

/// The latest active [`DOTTED_CASES`] of `instances` (latest activity first) with their events,
/// earliest begun first.
fn dotted_cases(
    store: &dyn Store,
    instances: &[InstanceSummary],
) -> Result<Vec<DottedCase>, WebError> {
    let latest = &instances[..instances.len().min(DOTTED_CASES as usize)];
    let ids: Vec<_> = latest.iter().map(|i| i.id).collect();
    let mut events = store.events_of(&ids)?;
    let mut dotted: Vec<(i64, DottedCase)> = latest
        .iter()
        .map(|i| {
            let events = events.remove(&i.id).unwrap_or_default();
            let case = DottedCase {
                name: i.label.clone(),
                events: events
                    .into_iter()
                    .map(|e| (e.timestamp, e.activity))
                    .collect(),
            };
            (i.first_event, case)
        })
        .collect();
    dotted.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    Ok(dotted.into_iter().map(|(_, c)| c).collect())
}

impl ChartData {
    /// Reads what `chart` needs of the instances `cases` selects.
    pub fn read(store: &dyn Store, chart: Chart, cases: &CaseFilter) -> Result<Self, WebError> {
        Ok(match chart {
            Chart::CasesOverTime => {
                Self::CasesOverTime(cases_over_time(&spans(&selected(store, cases)?), PERIODS))
            }
            Chart::Durations => {
                let durations = spans(&selected(store, cases)?)
                    .iter()
                    .map(|s| s.last - s.first)
                    .collect();
                Self::Durations(duration_histogram(durations, BINS))
            }
            Chart::Dotted => {
                let latest = store.instances(&InstanceQuery {
                    cases: cases.clone(),
                    limit: DOTTED_CASES,
                    ..Default::default()
                })?;
                Self::Dotted(dotted_cases(store, &latest.instances)?)
            }
        })
    }

    /// Every chart of the instances `cases` selects, reading the instances once.
    pub fn read_all(store: &dyn Store, cases: &CaseFilter) -> Result<Vec<(Chart, Self)>, WebError> {
        let instances = selected(store, cases)?;
        let spans = spans(&instances);
        let durations = spans.iter().map(|s| s.last - s.first).collect();
        Ok(vec![
            (
                Chart::CasesOverTime,
                Self::CasesOverTime(cases_over_time(&spans, PERIODS)),
            ),
            (
                Chart::Durations,
                Self::Durations(duration_histogram(durations, BINS)),
            ),
            (
                Chart::Dotted,
                Self::Dotted(dotted_cases(store, &instances)?),
            ),
        ])
    }

    /// The chart as a standalone SVG document.
    pub fn svg(&self) -> String {
        match self {
            Self::CasesOverTime(c) => cases_svg(c),
            Self::Durations(h) => histogram_svg(h, "Case durations"),
            Self::Dotted(cases) => dotted_svg(cases),
        }
    }

    /// The chart's data as CSV, times in RFC 3339 and durations in seconds.
    pub fn csv(&self, cells: Cells) -> String {
        let mut out = CsvWriter::text(cells);
        match self {
            Self::CasesOverTime(c) => {
                out.row(&["period_start", "started", "completed", "in_progress"]);
                for p in &c.periods {
                    let row = [
                        format_timestamp(p.start),
                        p.started.to_string(),
                        p.completed.to_string(),
                        p.in_progress.to_string(),
                    ];
                    out.row(&row);
                }
            }
            Self::Durations(h) => {
                out.row(&["from_s", "to_s", "cases"]);
                for b in &h.bins {
                    out.row(&[seconds(b.from), seconds(b.to), b.count.to_string()]);
                }
            }
            Self::Dotted(cases) => {
                out.row(&["case", "time", "activity"]);
                for case in cases {
                    for (at, activity) in &case.events {
                        out.row(&[case.name.clone(), format_timestamp(*at), activity.clone()]);
                    }
                }
            }
        }
        out.into_string()
    }
}
