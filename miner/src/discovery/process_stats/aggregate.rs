//! Process statistics kept as running totals that cases can be added to and removed from:
//! what a store maintains as events arrive, so that a page reads a few hundred totals instead
//! of every event.
//!
//! Counts, totals and means are exact; medians, p95, minima and maxima come from
//! [`QuantileSketch`]es, within [`crate::performance::RELATIVE_ERROR`].

use super::measure::{measure_case, CaseMeasures, CaseSteps, Counted, Timed};
use super::{NamedActivity, NamedEdge, NamedStats, NamedVariant, ProcessStats};
use crate::performance::{DurationStats, QuantileSketch};
use crate::time::Micros;
use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;

/// The cases following one variant and the sum of their throughput times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VariantTotals {
    /// Cases.
    pub count: i64,
    /// Sum of their throughput times.
    pub throughput: i128,
}

/// Running totals of cases, or a change to them (counts may then be negative).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessAggregate {
    /// Cases.
    pub cases: i64,
    /// Events.
    pub events: i64,
    /// Everything counted, by what.
    pub counts: FxHashMap<Counted, i64>,
    /// Every duration, by what was measured.
    pub durations: FxHashMap<Timed, QuantileSketch>,
    /// Cases and throughput per activity sequence.
    pub variants: FxHashMap<Vec<u32>, VariantTotals>,
    /// +1 while a case is added, -1 while one is removed.
    weight: i64,
}

impl ProcessAggregate {
    /// Adds one case's contribution.
    pub fn add(&mut self, case: CaseSteps<'_>) {
        self.weight = 1;
        measure_case(case, self);
    }

    /// Takes one case's contribution away (a case that changed or was deleted).
    pub fn remove(&mut self, case: CaseSteps<'_>) {
        self.weight = -1;
        measure_case(case, self);
    }

    /// Adds the totals (or the change) `other` holds.
    pub fn merge(&mut self, other: &ProcessAggregate) {
        self.cases += other.cases;
        self.events += other.events;
        for (&what, &n) in &other.counts {
            bump(&mut self.counts, what, n);
        }
        for (&what, sketch) in &other.durations {
            let kept = self.durations.entry(what).or_default();
            kept.merge(sketch);
            if kept.is_empty() {
                self.durations.remove(&what);
            }
        }
        for (sequence, totals) in &other.variants {
            let kept = self.variants.entry(sequence.clone()).or_default();
            kept.count += totals.count;
            kept.throughput += totals.throughput;
            if *kept == VariantTotals::default() {
                self.variants.remove(sequence);
            }
        }
    }

    /// The statistics these totals stand for; `name` gives each activity id's name, and
    /// `first_event`/`last_event` the span of the cases' times (which totals cannot keep, as
    /// a minimum cannot be taken back).
    pub fn to_stats(
        &self,
        name: impl Fn(u32) -> String,
        first_event: Option<Micros>,
        last_event: Option<Micros>,
    ) -> ProcessStats {
        let positive = |what: Counted| self.counts.get(&what).copied().unwrap_or(0).max(0) as u64;
        let times = |what: Timed| {
            self.durations
                .get(&what)
                .map(DurationStats::from_sketch)
                .unwrap_or_default()
        };
        let mut activities = Vec::new();
        let mut edges = Vec::new();
        let mut start_activities = Vec::new();
        let mut end_activities = Vec::new();
        for (&what, &n) in &self.counts {
            if n <= 0 {
                continue;
            }
            match what {
                Counted::Event(a) => activities.push(NamedActivity {
                    name: name(a),
                    count: n as u64,
                    cases: positive(Counted::CaseWith(a)),
                    time_to_next: times(Timed::TimeToNext(a)),
                    service: times(Timed::Service(a)),
                    waiting: times(Timed::Waiting(a)),
                }),
                Counted::Edge(a, b) => edges.push(NamedEdge {
                    from: name(a),
                    to: name(b),
                    count: n as u64,
                    duration: times(Timed::Edge(a, b)),
                }),
                Counted::Start(a) => start_activities.push((name(a), n as u64)),
                Counted::End(a) => end_activities.push((name(a), n as u64)),
                Counted::CaseWith(_) => {}
            }
        }
        let variants = self
            .variants
            .iter()
            .filter(|(_, totals)| totals.count > 0)
            .map(|(sequence, totals)| NamedVariant {
                activities: sequence.iter().map(|&a| name(a)).collect(),
                count: totals.count as u64,
                mean_throughput: (totals.throughput / i128::from(totals.count)) as Micros,
            })
            .collect();
        ProcessStats::from_named(NamedStats {
            cases: self.cases.max(0) as u64,
            events: self.events.max(0) as u64,
            activities,
            edges,
            start_activities,
            end_activities,
            variants,
            throughput: times(Timed::Throughput),
            first_event,
            last_event,
        })
    }
}

/// Adds `n` to the count of `key`, leaving out counts that come to zero.
fn bump<K: std::hash::Hash + Eq>(map: &mut FxHashMap<K, i64>, key: K, n: i64) {
    match map.entry(key) {
        Entry::Occupied(mut kept) => {
            *kept.get_mut() += n;
            if *kept.get() == 0 {
                kept.remove();
            }
        }
        Entry::Vacant(slot) => {
            if n != 0 {
                slot.insert(n);
            }
        }
    }
}

impl CaseMeasures for ProcessAggregate {
    fn case(&mut self, activities: &[u32], span: Option<(Micros, Micros)>) {
        self.cases += self.weight;
        self.events += self.weight * activities.len() as i64;
        let totals = self.variants.entry(activities.to_vec()).or_default();
        totals.count += self.weight;
        totals.throughput +=
            span.map_or(0, |(lo, hi)| i128::from(hi - lo)) * i128::from(self.weight);
        if *totals == VariantTotals::default() {
            self.variants.remove(activities);
        }
    }

    fn count(&mut self, what: Counted) {
        bump(&mut self.counts, what, self.weight);
    }

    fn duration(&mut self, what: Timed, value: Micros) {
        let sketch = self.durations.entry(what).or_default();
        sketch.add(value, self.weight);
        if sketch.is_empty() {
            self.durations.remove(&what);
        }
    }
}
