//! Comparing two sets of cases, such as the periods before and after a release or two filter
//! sets: each path's change in how often cases take it and in how much time they spend on it,
//! the biggest changes first, and the map of the second set drawn with its changes.
//!
//! Both are measured per case, so that sets of different sizes compare: a path taken by 10 %
//! of the cases before and 30 % after rose by 20 points, whatever the number of cases.

use crate::discovery::ProcessStats;
use crate::filter::{Arc, ProcessMap};
use crate::formats::xml::escape_xml;
use crate::layout::{render_look, ArcLook, MapLayout, MapLook, MapMetric};
use crate::time::{format_duration, Micros};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// A path's figures in one set of cases.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PathFigures {
    /// How often it is taken.
    pub count: u64,
    /// How often per case.
    pub per_case: f64,
    /// Median time on it.
    pub median: Micros,
    /// Mean time on it.
    pub mean: Micros,
    /// Time spent on it per case (its total over the set's cases), µs.
    pub time_per_case: f64,
}

/// One path in either set, with its figures in each (none where the set never takes it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathChange {
    /// Its first activity.
    pub from: String,
    /// Its second activity.
    pub to: String,
    /// In the first set.
    pub before: Option<PathFigures>,
    /// In the second set.
    pub after: Option<PathFigures>,
}

impl PathChange {
    /// The change in how often a case takes it (after minus before).
    pub fn frequency_change(&self) -> f64 {
        self.after.map_or(0.0, |f| f.per_case) - self.before.map_or(0.0, |f| f.per_case)
    }

    /// The change in time a case spends on it (after minus before), µs.
    pub fn time_change(&self) -> f64 {
        self.after.map_or(0.0, |f| f.time_per_case) - self.before.map_or(0.0, |f| f.time_per_case)
    }
}

/// Two sets of cases compared path by path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Cases in the first set.
    pub before_cases: u64,
    /// Cases in the second set.
    pub after_cases: u64,
    /// Every path either set takes, by its activities' names.
    pub paths: Vec<PathChange>,
}

impl Comparison {
    /// The paths whose time per case changed most, largest change first.
    pub fn by_time(&self) -> Vec<&PathChange> {
        self.ranked(|p| p.time_change().abs())
    }

    /// The paths whose frequency per case changed most, largest change first.
    pub fn by_frequency(&self) -> Vec<&PathChange> {
        self.ranked(|p| p.frequency_change().abs())
    }

    fn ranked(&self, size: impl Fn(&PathChange) -> f64) -> Vec<&PathChange> {
        let mut ranked: Vec<&PathChange> = self.paths.iter().collect();
        ranked.sort_by(|a, b| {
            size(b)
                .total_cmp(&size(a))
                .then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to)))
        });
        ranked
    }

    /// The change of the path `from → to`, if either set takes it.
    pub fn path(&self, from: &str, to: &str) -> Option<&PathChange> {
        self.paths.iter().find(|p| p.from == from && p.to == to)
    }
}

/// Each path's figures in `stats`, by its activities' names.
fn figures(stats: &ProcessStats) -> BTreeMap<(String, String), PathFigures> {
    let cases = stats.cases.max(1) as f64;
    stats
        .edges
        .iter()
        .map(|e| {
            let key = (stats.name(e.from).to_string(), stats.name(e.to).to_string());
            let figures = PathFigures {
                count: e.count,
                per_case: e.count as f64 / cases,
                median: e.duration.median,
                mean: e.duration.mean,
                time_per_case: e.duration.total as f64 / cases,
            };
            (key, figures)
        })
        .collect()
}

/// Compares the cases of `before` with those of `after`.
pub fn compare(before: &ProcessStats, after: &ProcessStats) -> Comparison {
    let (old, new) = (figures(before), figures(after));
    let mut keys: Vec<&(String, String)> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    Comparison {
        before_cases: before.cases,
        after_cases: after.cases,
        paths: keys
            .into_iter()
            .map(|key| PathChange {
                from: key.0.clone(),
                to: key.1.clone(),
                before: old.get(key).copied(),
                after: new.get(key).copied(),
            })
            .collect(),
    }
}

/// A signed duration for people: `+2h 5m`, `-40s`.
pub fn signed_duration(micros: f64) -> String {
    let sign = if micros < 0.0 { "-" } else { "+" };
    format!("{sign}{}", format_duration(micros.abs().round() as Micros))
}

/// The look of the second set's map with each path's change: red where cases spend more time
/// on it, green where less, thicker the larger the change; labelled with the change per case.
struct ChangeLook<'a> {
    comparison: &'a Comparison,
    largest: f64,
}

impl MapLook for ChangeLook<'_> {
    fn attributes(&self) -> String {
        r#"data-mode="comparison""#.to_string()
    }

    fn arc(&self, arc: &Arc, from: &str, to: &str) -> ArcLook {
        let change = match arc {
            Arc::Flow(_) => self.comparison.path(from, to),
            _ => None,
        };
        let Some(change) = change else {
            return ArcLook {
                weight: 0.0,
                colour: "#bbbbbb".into(),
                label: String::new(),
                attributes: String::new(),
            };
        };
        let delta = change.time_change();
        let share = (delta.abs() / self.largest).min(1.0);
        let colour = if delta > 0.0 {
            format!(
                "rgb({},{},{})",
                150 + (80.0 * share) as u8,
                110 - (90.0 * share) as u8,
                100 - (80.0 * share) as u8
            )
        } else {
            format!(
                "rgb({},{},{})",
                110 - (90.0 * share) as u8,
                140 + (10.0 * share) as u8,
                110 - (60.0 * share) as u8
            )
        };
        let points = change.frequency_change() * 100.0;
        ArcLook {
            weight: share,
            colour,
            label: format!("{} · {points:+.0} pts", signed_duration(delta)),
            attributes: format!(
                r#" data-time-change="{delta:.0}" data-frequency-change="{points:.1}""#
            ),
        }
    }

    fn metric(&self) -> MapMetric {
        MapMetric::Events
    }

    fn legend(&self, out: &mut String) {
        let _ = write!(
            out,
            r##"<text x="0" y="11" fill="#333" font-size="11">Paths: change in time per case (red: more, green: less; thicker: larger, up to {}) and in cases taking them, in percentage points</text><text x="0" y="28" fill="#333" font-size="11">{} cases before, {} after; activities shaded by events after</text>"##,
            escape_xml(&signed_duration(self.largest)),
            self.comparison.before_cases,
            self.comparison.after_cases,
        );
    }
}

/// The second set's map (`after`, laid out as `layout`) drawn with each path's change.
pub fn comparison_svg(after: &ProcessMap, layout: &MapLayout, comparison: &Comparison) -> String {
    let largest = comparison
        .paths
        .iter()
        .map(|p| p.time_change().abs())
        .fold(1.0, f64::max);
    render_look(
        after,
        layout,
        &ChangeLook {
            comparison,
            largest,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::simplify_paths;
    use crate::layout::layout;
    use crate::log::EventLogBuilder;
    use crate::time::MINUTE;

    /// `n` cases `pay → ship` taking `wait` and `n_refund` cases `pay → refund`.
    fn stats(n: usize, wait: Micros, n_refund: usize) -> ProcessStats {
        let mut b = EventLogBuilder::new();
        for i in 0..n + n_refund {
            b.start_case(i.to_string());
            b.push_event("pay", Some(0));
            let next = if i < n { "ship" } else { "refund" };
            b.push_event(next, Some(wait));
        }
        ProcessStats::from_log(&b.build())
    }

    #[test]
    fn measures_each_paths_change_per_case_and_ranks_the_largest_first() {
        let before = stats(8, 10 * MINUTE, 2);
        let after = stats(16, 30 * MINUTE, 0);
        let c = compare(&before, &after);
        assert_eq!((c.before_cases, c.after_cases), (10, 16));
        let ship = c.path("pay", "ship").unwrap();
        assert!(
            (ship.frequency_change() - 0.2).abs() < 1e-9,
            "80% to 100% of cases"
        );
        // 8 × 10 m over 10 cases = 8 m a case; 30 m a case after.
        assert!((ship.time_change() - (22 * MINUTE) as f64).abs() < 1.0);
        let refund = c.path("pay", "refund").unwrap();
        assert!(refund.after.is_none() && (refund.frequency_change() + 0.2).abs() < 1e-9);
        assert_eq!(c.by_time()[0].to, "ship");
        assert_eq!(signed_duration(ship.time_change()), "+22m 0s");

        let map = simplify_paths(&after, 100);
        let svg = comparison_svg(&map, &layout(&map), &c);
        assert!(svg.contains(r#"data-mode="comparison""#));
        assert!(svg.contains(r#"data-time-change="1320000000""#), "{svg}");
        assert!(svg.contains("+22m 0s · +20 pts"));
    }
}
