//! Charts of a set of cases over time, as data and as SVG drawings: cases started and
//! completed per period with the work in progress at each period's end, a histogram of case
//! durations, and a dotted chart (each case's events on a time axis).
//!
//! The data is computed here so that the drawing, its CSV and its tests agree.

mod svg;

pub use svg::{cases_svg, dotted_svg, histogram_svg};

use crate::performance::DurationStats;
use crate::time::{Micros, DAY, HOUR, MINUTE, SECOND};
use serde::Serialize;

/// What the charts know of one case: when it began and ended, and whether it is completed
/// (an unfinished case is still in progress at its last event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseSpan {
    /// Its first event.
    pub first: Micros,
    /// Its last event.
    pub last: Micros,
    /// Whether it reached an end activity.
    pub completed: bool,
}

/// One period of [`CasesOverTime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// Its start (UTC µs); it lasts [`CasesOverTime::period`].
    pub start: Micros,
    /// Cases whose first event falls in it.
    pub started: u64,
    /// Completed cases whose last event falls in it.
    pub completed: u64,
    /// Cases begun and not completed by its end: the work in progress.
    pub in_progress: u64,
}

/// Cases started and completed per period, and in progress at each period's end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CasesOverTime {
    /// Length of a period, chosen so that the range takes at most the periods asked for.
    pub period: Micros,
    /// The periods from the first event's to the last event's.
    pub periods: Vec<Period>,
}

/// Period lengths a chart uses: calendar-like steps people read at a glance.
const PERIODS: [Micros; 10] = [
    MINUTE,
    5 * MINUTE,
    15 * MINUTE,
    HOUR,
    6 * HOUR,
    DAY,
    7 * DAY,
    30 * DAY,
    91 * DAY,
    365 * DAY,
];

/// Cases over time, in at most about `most` periods.
pub fn cases_over_time(spans: &[CaseSpan], most: usize) -> CasesOverTime {
    let (Some(lo), Some(hi)) = (
        spans.iter().map(|s| s.first).min(),
        spans.iter().map(|s| s.last).max(),
    ) else {
        return CasesOverTime {
            period: DAY,
            periods: Vec::new(),
        };
    };
    let most = most.max(1) as i64;
    let period = PERIODS
        .into_iter()
        .find(|p| (hi - lo) / p < most)
        .unwrap_or(PERIODS[PERIODS.len() - 1]);
    let origin = lo - lo.rem_euclid(period);
    let index = |t: Micros| ((t - origin) / period) as usize;
    let mut periods: Vec<Period> = (0..=index(hi))
        .map(|i| Period {
            start: origin + i as i64 * period,
            started: 0,
            completed: 0,
            in_progress: 0,
        })
        .collect();
    for span in spans {
        periods[index(span.first)].started += 1;
        if span.completed {
            periods[index(span.last)].completed += 1;
        }
    }
    let (mut started, mut completed) = (0, 0);
    for p in &mut periods {
        started += p.started;
        completed += p.completed;
        p.in_progress = started - completed;
    }
    CasesOverTime { period, periods }
}

/// One bar of a [`Histogram`]: durations in `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bin {
    /// Shortest duration it holds.
    pub from: Micros,
    /// Its end (exclusive).
    pub to: Micros,
    /// Cases in it.
    pub count: u64,
}

/// Case durations in bins of one width, with their statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    /// The bins from zero to past the longest duration.
    pub bins: Vec<Bin>,
    /// Statistics of the durations (median and 95th percentile marked on the chart).
    pub stats: DurationStats,
}

/// Bin widths a histogram uses.
const WIDTHS: [Micros; 22] = [
    SECOND,
    2 * SECOND,
    5 * SECOND,
    10 * SECOND,
    30 * SECOND,
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
    30 * DAY,
    91 * DAY,
    182 * DAY,
    365 * DAY,
];

/// A histogram of `durations` in at most about `most` bins of a round width.
pub fn duration_histogram(mut durations: Vec<Micros>, most: usize) -> Histogram {
    let stats = DurationStats::from_unsorted(&mut durations);
    if durations.is_empty() {
        return Histogram {
            bins: Vec::new(),
            stats,
        };
    }
    let most = most.max(1) as i64;
    let width = WIDTHS
        .into_iter()
        .find(|w| stats.max / w < most)
        .unwrap_or(WIDTHS[WIDTHS.len() - 1]);
    let mut bins: Vec<Bin> = (0..=stats.max.max(0) / width)
        .map(|i| Bin {
            from: i * width,
            to: (i + 1) * width,
            count: 0,
        })
        .collect();
    for d in durations {
        bins[(d.max(0) / width) as usize].count += 1;
    }
    Histogram { bins, stats }
}

/// One case of a dotted chart: its name and its events (time, activity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DottedCase {
    /// The case's name.
    pub name: String,
    /// Its events in time order.
    pub events: Vec<(Micros, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(first: Micros, last: Micros, completed: bool) -> CaseSpan {
        CaseSpan {
            first,
            last,
            completed,
        }
    }

    #[test]
    fn counts_cases_per_period_and_the_work_in_progress_at_each_end() {
        let spans = [
            span(0, 3 * HOUR, true),
            span(HOUR + 5, 2 * HOUR, true),
            span(2 * HOUR, 4 * HOUR, false),
            span(3 * HOUR, 3 * HOUR + 1, true),
        ];
        let chart = cases_over_time(&spans, 10);
        assert_eq!(chart.period, HOUR, "four hours in at most ten periods");
        let rows: Vec<(u64, u64, u64)> = chart
            .periods
            .iter()
            .map(|p| (p.started, p.completed, p.in_progress))
            .collect();
        assert_eq!(
            rows,
            [(1, 0, 1), (1, 0, 2), (1, 1, 2), (1, 2, 1), (0, 0, 1)]
        );
        assert_eq!(chart.periods[1].start, HOUR);
        let coarse = cases_over_time(&spans, 1);
        assert_eq!(coarse.period, 6 * HOUR);
        assert_eq!(coarse.periods.len(), 1);
        assert_eq!(coarse.periods[0].in_progress, 1, "the unfinished case");
        assert!(cases_over_time(&[], 10).periods.is_empty());
    }

    #[test]
    fn bins_durations_by_a_round_width() {
        let durations = vec![0, 30 * SECOND, 90 * SECOND, 90 * SECOND, 9 * MINUTE];
        let h = duration_histogram(durations, 10);
        assert_eq!(h.bins[0].to - h.bins[0].from, MINUTE);
        let counts: Vec<u64> = h.bins.iter().map(|b| b.count).collect();
        assert_eq!(counts, [2, 2, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(h.stats.count, 5);
        assert_eq!(h.stats.median, 90 * SECOND);
        assert!(duration_histogram(Vec::new(), 10).bins.is_empty());
    }
}
