//! What one case contributes to the process statistics: the single definition both the exact
//! [`super::ProcessStatsBuilder`] and the incremental [`super::ProcessAggregate`] follow, so a
//! store's running totals and `flowsight mine` count the same things.

use crate::log::Lifecycle;
use crate::time::Micros;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};

/// Something counted per case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Counted {
    /// An event of the activity.
    Event(u32),
    /// A case containing the activity (once per case).
    CaseWith(u32),
    /// The second activity directly following the first.
    Edge(u32, u32),
    /// A case starting with the activity.
    Start(u32),
    /// A case ending with the activity.
    End(u32),
}

/// A duration measured in a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Timed {
    /// Between the two events of a directly-follows pair.
    Edge(u32, u32),
    /// From an event of the activity to the next event of its case.
    TimeToNext(u32),
    /// The activity's service time (lifecycle start to complete, or a span's length).
    Service(u32),
    /// The wait before the activity started (cases with spans).
    Waiting(u32),
    /// The case's throughput time, first to last event.
    Throughput,
}

/// One case's steps in time order: activity ids with when each happened, its lifecycle
/// transition and, for a span, when it ended.
#[derive(Debug, Clone, Copy)]
pub struct CaseSteps<'a> {
    /// Activity ids.
    pub activities: &'a [u32],
    /// When each step happened (start of a span).
    pub timestamps: &'a [Option<Micros>],
    /// Each step's lifecycle transition.
    pub lifecycles: &'a [Lifecycle],
    /// When each step ended (`None`: an instant event).
    pub ends: &'a [Option<Micros>],
}

/// Receives a case's contribution.
pub trait CaseMeasures {
    /// The case itself: its activity sequence (its variant) and the span of its known times.
    fn case(&mut self, activities: &[u32], span: Option<(Micros, Micros)>);
    /// One occurrence of something counted.
    fn count(&mut self, what: Counted);
    /// One duration.
    fn duration(&mut self, what: Timed, value: Micros);
}

/// Feeds the counts and durations of one case's order of steps to `sink`: events, the
/// activities it contains, directly-follows pairs and their times, start, end, variant and
/// throughput. Durations are only measured between steps that both have a time.
pub fn measure_order(
    activities: &[u32],
    timestamps: &[Option<Micros>],
    sink: &mut impl CaseMeasures,
) {
    debug_assert_eq!(activities.len(), timestamps.len());
    let (Some(&first), Some(&last)) = (activities.first(), activities.last()) else {
        return;
    };
    sink.count(Counted::Start(first));
    sink.count(Counted::End(last));
    let mut distinct = activities.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    for a in distinct {
        sink.count(Counted::CaseWith(a));
    }
    for (i, &a) in activities.iter().enumerate() {
        sink.count(Counted::Event(a));
        if let Some(&b) = activities.get(i + 1) {
            sink.count(Counted::Edge(a, b));
            if let (Some(t0), Some(t1)) = (timestamps[i], timestamps[i + 1]) {
                sink.duration(Timed::Edge(a, b), t1 - t0);
                sink.duration(Timed::TimeToNext(a), t1 - t0);
            }
        }
    }
    let known = timestamps.iter().flatten();
    let span = known
        .clone()
        .min()
        .zip(known.max())
        .map(|(&lo, &hi)| (lo, hi));
    if let Some((lo, hi)) = span {
        sink.duration(Timed::Throughput, hi - lo);
    }
    sink.case(activities, span);
}

/// Feeds the service times of lifecycle transitions: each `complete` matched to the earliest
/// open `start` of the same activity.
pub fn measure_lifecycles(
    activities: &[u32],
    timestamps: &[Option<Micros>],
    lifecycles: &[Lifecycle],
    sink: &mut impl CaseMeasures,
) {
    if !lifecycles.contains(&Lifecycle::Start) {
        return;
    }
    let mut open: HashMap<u32, VecDeque<Micros>> = HashMap::new();
    for ((&a, &t), &l) in activities.iter().zip(timestamps).zip(lifecycles) {
        let Some(t) = t else { continue };
        match l {
            Lifecycle::Start => open.entry(a).or_default().push_back(t),
            Lifecycle::Complete => {
                if let Some(started) = open.get_mut(&a).and_then(|q| q.pop_front()) {
                    sink.duration(Timed::Service(a), t - started);
                }
            }
            Lifecycle::Other => {}
        }
    }
}

/// Feeds the times of steps that last (trace spans): each interval's length is a service
/// time; every step's gap after the latest end before it is a waiting time.
pub fn measure_intervals(
    activities: &[u32],
    starts: &[Option<Micros>],
    ends: &[Option<Micros>],
    sink: &mut impl CaseMeasures,
) {
    let mut busy_until: Option<Micros> = None;
    for ((&a, &start), &end) in activities.iter().zip(starts).zip(ends) {
        let Some(start) = start else { continue };
        if let Some(end) = end {
            sink.duration(Timed::Service(a), (end - start).max(0));
        }
        if let Some(previous) = busy_until {
            sink.duration(Timed::Waiting(a), (start - previous).max(0));
        }
        let finished = end.unwrap_or(start).max(start);
        busy_until = Some(busy_until.map_or(finished, |b| b.max(finished)));
    }
}

/// Feeds everything one case contributes: its order, the service times of its lifecycle
/// transitions and, when it has spans, their service and waiting times.
pub fn measure_case(case: CaseSteps<'_>, sink: &mut impl CaseMeasures) {
    measure_order(case.activities, case.timestamps, sink);
    measure_lifecycles(case.activities, case.timestamps, case.lifecycles, sink);
    if case.ends.iter().any(Option::is_some) {
        measure_intervals(case.activities, case.timestamps, case.ends, sink);
    }
}
