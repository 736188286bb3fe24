//! Comparing two sets of instances: the periods before and after a date (e.g. a release), or
//! two filter sets. The compare page and its exports (map SVG/PNG, CSV, JSON) come from here.

use super::csv::seconds;
use crate::filter_bar::{given, time_param, FilterParams};
use crate::WebError;
use collector::store::{CaseFilter, StatsQuery, Store};
use miner::compare::{compare, comparison_svg, Comparison, PathChange};
use miner::filter::{simplify_paths, ProcessMap};
use miner::formats::csv::{Cells, CsvWriter};
use miner::layout::{layout, MapLayout};
use serde::Deserialize;
use serde_json::{json, Value};

/// Which two sets to compare, besides the filter bar's conditions (which both sets keep).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CompareParams {
    /// Split at this date or time: the instances active before it against those active from it on.
    pub split: Option<String>,
    /// The first filter set, as a filter bar query string (`absent=X&from=2026-01-05`).
    pub a: Option<String>,
    /// The second filter set.
    pub b: Option<String>,
}

/// The two sets compared and how they read.
#[derive(Debug, Clone)]
pub struct Sets {
    /// The first set.
    pub before: CaseFilter,
    /// The second set.
    pub after: CaseFilter,
    /// The first set, as people read it.
    pub before_label: String,
    /// The second set, as people read it.
    pub after_label: String,
}

impl CompareParams {
    /// The two sets, checked; errors name the parameter.
    pub fn sets(&self, bar: &FilterParams) -> Result<Sets, WebError> {
        let base = bar.resolve()?;
        if let Some(split) = given(&self.split) {
            let at = time_param("split", Some(split), false)?.unwrap_or_default();
            let mut before = base.clone();
            before.to = Some(before.to.map_or(at, |t| t.min(at)));
            let mut after = base;
            after.from = Some(after.from.map_or(at, |f| f.max(at)));
            return Ok(Sets {
                before,
                after,
                before_label: format!("active before {split}"),
                after_label: format!("active from {split} on"),
            });
        }
        let (Some(a), Some(b)) = (given(&self.a), given(&self.b)) else {
            return Err(WebError::BadRequest(
                "compare what? give split=DATE (before and after it), or a= and b= (two filter sets, each written as the filter bar's query string)".into(),
            ));
        };
        let set = |name: &str, text: &str| -> Result<CaseFilter, WebError> {
            let params: FilterParams = serde_html_form::from_str(text).map_err(|e| {
                WebError::BadRequest(format!("{name}: {text:?} is not a filter set: {e}"))
            })?;
            let own = params
                .resolve()
                .map_err(|e| WebError::BadRequest(format!("{name}: {e}")))?;
            Ok(both(&base, own))
        };
        Ok(Sets {
            before: set("a", a)?,
            after: set("b", b)?,
            before_label: a.to_string(),
            after_label: b.to_string(),
        })
    }
}

/// The conditions of `bar` and `own` together (`own` wins where both set one value).
fn both(bar: &CaseFilter, own: CaseFilter) -> CaseFilter {
    CaseFilter {
        from: own.from.or(bar.from),
        to: own.to.or(bar.to),
        variant: own.variant.or_else(|| bar.variant.clone()),
        with: [bar.with.clone(), own.with].concat(),
        without: [bar.without.clone(), own.without].concat(),
        follows: [bar.follows.clone(), own.follows].concat(),
        min_duration: own.min_duration.or(bar.min_duration),
        max_duration: own.max_duration.or(bar.max_duration),
        key: own.key.or_else(|| bar.key.clone()),
        status: own.status.or(bar.status),
        attribute: own.attribute.or_else(|| bar.attribute.clone()),
    }
}

/// A comparison with the second set's map, ready to show or export.
#[derive(Debug, Clone)]
pub struct ComparisonView {
    /// The sets compared.
    pub sets: Sets,
    /// Their comparison.
    pub comparison: Comparison,
    /// The second set's map.
    pub map: ProcessMap,
    /// Its coordinates.
    pub layout: MapLayout,
}

impl ComparisonView {
    /// Reads both sets' statistics and compares them.
    pub fn compute(store: &dyn Store, sets: Sets) -> Result<Self, WebError> {
        let stats = |cases: &CaseFilter| {
            store.process_stats(&StatsQuery {
                cases: cases.clone(),
                activities: None,
            })
        };
        let (before, after) = (stats(&sets.before)?, stats(&sets.after)?);
        let map = simplify_paths(&after, 100);
        let layout = layout(&map);
        Ok(Self {
            comparison: compare(&before, &after),
            sets,
            map,
            layout,
        })
    }

    /// The second set's map with each path's change.
    pub fn svg(&self) -> String {
        comparison_svg(&self.map, &self.layout, &self.comparison)
    }

    /// Every path with its figures in both sets, largest time change first.
    pub fn csv(&self, cells: Cells) -> String {
        let mut out = CsvWriter::text(cells);
        out.row(&[
            "from",
            "to",
            "before_count",
            "before_per_case",
            "before_median_s",
            "before_time_per_case_s",
            "after_count",
            "after_per_case",
            "after_median_s",
            "after_time_per_case_s",
            "frequency_change_points",
            "time_change_per_case_s",
        ]);
        for p in self.comparison.by_time() {
            let side = |f: Option<miner::compare::PathFigures>| match f {
                None => vec![String::new(); 4],
                Some(f) => vec![
                    f.count.to_string(),
                    format!("{:.4}", f.per_case),
                    seconds(f.median),
                    seconds(f.time_per_case.round() as i64),
                ],
            };
            let mut row = vec![p.from.clone(), p.to.clone()];
            row.extend(side(p.before));
            row.extend(side(p.after));
            row.push(format!("{:.2}", p.frequency_change() * 100.0));
            row.push(seconds(p.time_change().round() as i64));
            out.row(&row);
        }
        out.into_string()
    }

    /// The comparison as JSON: both sets and every path, largest time change first.
    pub fn json(&self) -> Value {
        let path = |p: &PathChange| {
            json!({
                "from": p.from, "to": p.to, "before": p.before, "after": p.after,
                "frequency_change_points": p.frequency_change() * 100.0,
                "time_change_per_case_s": p.time_change() / 1e6,
            })
        };
        json!({
            "before": {"set": self.sets.before_label, "cases": self.comparison.before_cases},
            "after": {"set": self.sets.after_label, "cases": self.comparison.after_cases},
            "paths": self.comparison.by_time().into_iter().map(path).collect::<Vec<_>>(),
        })
    }
}
