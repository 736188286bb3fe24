//! The sufficient statistics of a set of cases: activities, directly-follows edges with
//! durations, start and end activities, variants and throughput times.
//!
//! Every view of the product (the map, variants, bottlenecks, `flowsight mine`) is derived
//! from a [`ProcessStats`]; stores produce one by feeding cases to a [`ProcessStatsBuilder`]
//! (or, for a database that can aggregate, by computing the same numbers in SQL).

use crate::log::{ActivityInterner, EventLog, Lifecycle};
use crate::performance::DurationStats;
use crate::time::Micros;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

mod aggregate;
mod measure;
mod recount;

pub use aggregate::{ProcessAggregate, VariantTotals};
pub use measure::{
    measure_case, measure_intervals, measure_lifecycles, measure_order, CaseMeasures, CaseSteps,
    Counted, Timed,
};

/// One activity of a process: how often it occurred and how long until the next step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityStats {
    /// Activity name.
    pub name: String,
    /// Number of events with this activity.
    pub count: u64,
    /// Number of cases containing it at least once.
    pub cases: u64,
    /// Time from an event of this activity to the next event of its case.
    pub time_to_next: DurationStats,
    /// Service time: from a `start` to the matching `complete` of this activity in a case, or
    /// an interval's length (a trace span's duration); empty when the source records neither.
    pub service: DurationStats,
    /// Waiting time before this activity: from the end of the latest earlier step of its case
    /// (an instant event ends when it happens) to its start; zero when it overlaps an earlier
    /// step. Empty unless the case has interval steps (spans).
    #[serde(default)]
    pub waiting: DurationStats,
}

/// A directly-follows edge `from → to` with its frequency and the time between the two events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeStats {
    /// Source activity (index into [`ProcessStats::activities`]).
    pub from: usize,
    /// Target activity (index into [`ProcessStats::activities`]).
    pub to: usize,
    /// How often `to` directly followed `from` within a case.
    pub count: u64,
    /// Time between the two events.
    pub duration: DurationStats,
}

/// A variant: a distinct sequence of activities, with the cases that follow it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// Activity indices in order.
    pub activities: Vec<usize>,
    /// Number of cases with exactly this sequence.
    pub count: u64,
    /// Mean time from first to last event of those cases.
    pub mean_throughput: Micros,
}

/// Everything discovery knows about a set of cases.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessStats {
    /// Number of cases.
    pub cases: u64,
    /// Number of events.
    pub events: u64,
    /// Activities, most frequent first (ties by name).
    pub activities: Vec<ActivityStats>,
    /// Directly-follows edges, most frequent first (ties by names).
    pub edges: Vec<EdgeStats>,
    /// Activities that start a case, with how many cases start there.
    pub start_activities: Vec<(usize, u64)>,
    /// Activities that end a case, with how many cases end there.
    pub end_activities: Vec<(usize, u64)>,
    /// Variants, most frequent first (ties by sequence).
    pub variants: Vec<Variant>,
    /// Throughput time of cases (first to last event).
    pub throughput: DurationStats,
    /// Earliest event time, if any event had one.
    pub first_event: Option<Micros>,
    /// Latest event time, if any event had one.
    pub last_event: Option<Micros>,
}

impl ProcessStats {
    /// Statistics of every case of `log`.
    pub fn from_log(log: &EventLog) -> Self {
        let mut builder = ProcessStatsBuilder::with_interner(log.activities().clone());
        for case in log.cases() {
            builder.add_steps(CaseSteps {
                activities: case.activities,
                timestamps: case.timestamps,
                lifecycles: case.lifecycles,
                ends: case.ends,
            });
        }
        builder.finish()
    }

    /// The name of activity index `i`.
    pub fn name(&self, i: usize) -> &str {
        &self.activities[i].name
    }

    /// The index of the activity called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.activities.iter().position(|a| a.name == name)
    }

    /// Variant `v` as activity names.
    pub fn variant_names(&self, v: &Variant) -> Vec<&str> {
        v.activities.iter().map(|&a| self.name(a)).collect()
    }

    /// Start or end activities as a name → count map (the shape pm4py prints).
    pub fn named_counts(&self, counts: &[(usize, u64)]) -> BTreeMap<String, u64> {
        counts
            .iter()
            .map(|&(a, c)| (self.name(a).to_string(), c))
            .collect()
    }
}

#[derive(Default)]
struct EdgeAccumulator {
    count: u64,
    durations: Vec<Micros>,
}

#[derive(Default)]
struct ActivityAccumulator {
    count: u64,
    cases: u64,
    time_to_next: Vec<Micros>,
    service: Vec<Micros>,
    waiting: Vec<Micros>,
}

impl ActivityAccumulator {
    /// Adds what `other` accumulated.
    fn absorb(&mut self, other: &ActivityAccumulator) {
        self.count += other.count;
        self.cases += other.cases;
        self.time_to_next.extend_from_slice(&other.time_to_next);
        self.service.extend_from_slice(&other.service);
        self.waiting.extend_from_slice(&other.waiting);
    }
}

/// Accumulates [`ProcessStats`] one case at a time, keeping every duration: exact.
#[derive(Default)]
pub struct ProcessStatsBuilder {
    interner: ActivityInterner,
    activities: Vec<ActivityAccumulator>,
    edges: FxHashMap<(u32, u32), EdgeAccumulator>,
    starts: FxHashMap<u32, u64>,
    ends: FxHashMap<u32, u64>,
    variants: FxHashMap<Vec<u32>, (u64, i128)>,
    throughput: Vec<Micros>,
    cases: u64,
    events: u64,
    first_event: Option<Micros>,
    last_event: Option<Micros>,
}

impl ProcessStatsBuilder {
    /// An empty builder with its own activity interner.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty builder reusing the activity ids of `interner`.
    pub fn with_interner(interner: ActivityInterner) -> Self {
        Self {
            interner,
            ..Self::default()
        }
    }

    /// The id of activity `name`, for building the slice given to [`Self::add_case`].
    pub fn intern(&mut self, name: &str) -> u32 {
        self.interner.intern(name)
    }

    /// Adds everything one case contributes (see [`measure_case`]).
    pub fn add_steps(&mut self, case: CaseSteps<'_>) {
        self.grow();
        measure_case(case, self);
    }

    /// Adds one case whose events record lifecycle transitions: besides everything
    /// [`Self::add_case`] counts, each `complete` matched to the earliest open `start` of the
    /// same activity gives a service time.
    pub fn add_case_with_lifecycles(
        &mut self,
        activities: &[u32],
        timestamps: &[Option<Micros>],
        lifecycles: &[Lifecycle],
    ) {
        self.add_case(activities, timestamps);
        measure_lifecycles(activities, timestamps, lifecycles, self);
    }

    /// Adds the times of a case whose steps may last (trace spans): `ends[i]` is when step `i`,
    /// which started at `starts[i]`, ended (`None`: an instant event). Each interval's length
    /// is a service time; every step's gap after the latest end before it is a waiting time.
    /// Call after [`Self::add_case`] (or its lifecycle variant) for the same case, which counts
    /// the steps; this only adds their times.
    pub fn add_intervals(
        &mut self,
        activities: &[u32],
        starts: &[Option<Micros>],
        ends: &[Option<Micros>],
    ) {
        self.grow();
        measure_intervals(activities, starts, ends, self);
    }

    /// Adds one case: activity ids in time order and their timestamps.
    ///
    /// Durations are only counted between events that both have a timestamp.
    pub fn add_case(&mut self, activities: &[u32], timestamps: &[Option<Micros>]) {
        self.grow();
        measure_order(activities, timestamps, self);
    }

    /// Adds every case `other` holds, as if each had been added here: the statistics of two
    /// sets of cases together (every kind of a case notion, from each kind's own).
    pub fn merge(&mut self, other: &ProcessStatsBuilder) {
        let ids: Vec<u32> = other
            .interner
            .names()
            .iter()
            .map(|name| self.interner.intern(name))
            .collect();
        self.grow();
        for (a, acc) in other.activities.iter().enumerate() {
            self.activities[ids[a] as usize].absorb(acc);
        }
        for (&(a, b), acc) in &other.edges {
            let edge = self
                .edges
                .entry((ids[a as usize], ids[b as usize]))
                .or_default();
            edge.count += acc.count;
            edge.durations.extend_from_slice(&acc.durations);
        }
        for (mine, theirs) in [
            (&mut self.starts, &other.starts),
            (&mut self.ends, &other.ends),
        ] {
            for (&a, &n) in theirs {
                *mine.entry(ids[a as usize]).or_default() += n;
            }
        }
        for (sequence, &(count, total)) in &other.variants {
            let sequence = sequence.iter().map(|&a| ids[a as usize]).collect();
            let variant = self.variants.entry(sequence).or_default();
            variant.0 += count;
            variant.1 += total;
        }
        self.throughput.extend_from_slice(&other.throughput);
        self.cases += other.cases;
        self.events += other.events;
        self.first_event = self.first_event.into_iter().chain(other.first_event).min();
        self.last_event = self.last_event.into_iter().chain(other.last_event).max();
    }

    /// Makes room for every interned activity.
    fn grow(&mut self) {
        if self.activities.len() < self.interner.len() {
            self.activities
                .resize_with(self.interner.len(), ActivityAccumulator::default);
        }
    }

    /// Finishes the statistics, ordering everything most-frequent-first.
    pub fn finish(mut self) -> ProcessStats {
        self.activities
            .resize_with(self.interner.len(), ActivityAccumulator::default);
        let interner = &self.interner;
        let name = |a: u32| interner.name(a).to_string();
        let activities = self
            .activities
            .iter_mut()
            .enumerate()
            .filter(|(_, acc)| acc.count > 0)
            .map(|(a, acc)| NamedActivity {
                name: name(a as u32),
                count: acc.count,
                cases: acc.cases,
                time_to_next: DurationStats::from_unsorted(&mut acc.time_to_next),
                service: DurationStats::from_unsorted(&mut acc.service),
                waiting: DurationStats::from_unsorted(&mut acc.waiting),
            })
            .collect();
        let edges = self
            .edges
            .into_iter()
            .map(|((a, b), mut acc)| NamedEdge {
                from: name(a),
                to: name(b),
                count: acc.count,
                duration: DurationStats::from_unsorted(&mut acc.durations),
            })
            .collect();
        let named =
            |counts: FxHashMap<u32, u64>| counts.into_iter().map(|(a, c)| (name(a), c)).collect();
        let variants = self
            .variants
            .into_iter()
            .map(|(seq, (count, total))| NamedVariant {
                activities: seq.iter().map(|&a| name(a)).collect(),
                count,
                mean_throughput: (total / count as i128) as Micros,
            })
            .collect();
        ProcessStats::from_named(NamedStats {
            cases: self.cases,
            events: self.events,
            activities,
            edges,
            start_activities: named(self.starts),
            end_activities: named(self.ends),
            variants,
            throughput: DurationStats::from_unsorted(&mut self.throughput),
            first_event: self.first_event,
            last_event: self.last_event,
        })
    }
}

impl CaseMeasures for ProcessStatsBuilder {
    fn case(&mut self, activities: &[u32], span: Option<(Micros, Micros)>) {
        self.cases += 1;
        self.events += activities.len() as u64;
        if let Some((lo, hi)) = span {
            self.first_event = Some(self.first_event.map_or(lo, |f| f.min(lo)));
            self.last_event = Some(self.last_event.map_or(hi, |l| l.max(hi)));
        }
        let variant = self.variants.entry(activities.to_vec()).or_default();
        variant.0 += 1;
        variant.1 += span.map_or(0, |(lo, hi)| i128::from(hi - lo));
    }

    fn count(&mut self, what: Counted) {
        match what {
            Counted::Event(a) => self.activities[a as usize].count += 1,
            Counted::CaseWith(a) => self.activities[a as usize].cases += 1,
            Counted::Edge(a, b) => self.edges.entry((a, b)).or_default().count += 1,
            Counted::Start(a) => *self.starts.entry(a).or_default() += 1,
            Counted::End(a) => *self.ends.entry(a).or_default() += 1,
        }
    }

    fn duration(&mut self, what: Timed, value: Micros) {
        match what {
            Timed::Edge(a, b) => self.edges.entry((a, b)).or_default().durations.push(value),
            Timed::TimeToNext(a) => self.activities[a as usize].time_to_next.push(value),
            Timed::Service(a) => self.activities[a as usize].service.push(value),
            Timed::Waiting(a) => self.activities[a as usize].waiting.push(value),
            Timed::Throughput => self.throughput.push(value),
        }
    }
}

/// An activity's statistics under its name, before ranking: they name it already.
pub type NamedActivity = ActivityStats;

/// A directly-follows edge under its activities' names, before ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedEdge {
    /// Source activity.
    pub from: String,
    /// Target activity.
    pub to: String,
    /// Frequency.
    pub count: u64,
    /// Time between the two events.
    pub duration: DurationStats,
}

/// A variant as activity names, before ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedVariant {
    /// Activity names in order.
    pub activities: Vec<String>,
    /// Number of cases.
    pub count: u64,
    /// Mean throughput time of those cases.
    pub mean_throughput: Micros,
}

/// The aggregates of [`ProcessStats`] keyed by activity name, in any order: what a database
/// that aggregates by itself returns. [`ProcessStats::from_named`] ranks them the one way every
/// store shares, so two stores with the same cases give equal statistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NamedStats {
    /// Number of cases.
    pub cases: u64,
    /// Number of events.
    pub events: u64,
    /// Activities that occurred.
    pub activities: Vec<NamedActivity>,
    /// Directly-follows edges.
    pub edges: Vec<NamedEdge>,
    /// Start activities with their case counts.
    pub start_activities: Vec<(String, u64)>,
    /// End activities with their case counts.
    pub end_activities: Vec<(String, u64)>,
    /// Variants.
    pub variants: Vec<NamedVariant>,
    /// Throughput time of cases.
    pub throughput: DurationStats,
    /// Earliest event time.
    pub first_event: Option<Micros>,
    /// Latest event time.
    pub last_event: Option<Micros>,
}

impl ProcessStats {
    /// Ranks named aggregates: activities by count (ties by name), edges by count (ties by
    /// names), start/end activities by count (ties by rank), variants by count (ties by
    /// sequence of ranks).
    pub fn from_named(named: NamedStats) -> Self {
        let mut activities = named.activities;
        activities.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.name.cmp(&y.name)));
        let rank: HashMap<&str, usize> = activities
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.as_str(), i))
            .collect();
        let rank_of = |name: &str| rank.get(name).copied().unwrap_or(usize::MAX);

        let mut edges: Vec<EdgeStats> = named
            .edges
            .into_iter()
            .map(|e| EdgeStats {
                from: rank_of(&e.from),
                to: rank_of(&e.to),
                count: e.count,
                duration: e.duration,
            })
            .collect();
        edges.sort_by(|x, y| {
            y.count.cmp(&x.count).then_with(|| {
                (&activities[x.from].name, &activities[x.to].name)
                    .cmp(&(&activities[y.from].name, &activities[y.to].name))
            })
        });

        let ranked = |counts: Vec<(String, u64)>| {
            let mut v: Vec<(usize, u64)> =
                counts.into_iter().map(|(a, c)| (rank_of(&a), c)).collect();
            v.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
            v
        };
        let start_activities = ranked(named.start_activities);
        let end_activities = ranked(named.end_activities);

        let mut variants: Vec<Variant> = named
            .variants
            .into_iter()
            .map(|v| Variant {
                activities: v.activities.iter().map(|a| rank_of(a)).collect(),
                count: v.count,
                mean_throughput: v.mean_throughput,
            })
            .collect();
        variants.sort_by(|x, y| {
            y.count
                .cmp(&x.count)
                .then_with(|| x.activities.cmp(&y.activities))
        });

        ProcessStats {
            cases: named.cases,
            events: named.events,
            activities,
            edges,
            start_activities,
            end_activities,
            variants,
            throughput: named.throughput,
            first_event: named.first_event,
            last_event: named.last_event,
        }
    }
}

#[cfg(test)]
mod tests;
