//! Bottlenecks: where cases wait. Edges ranked by total and by 95th-percentile waiting time,
//! activities by the time spent after them until the next step.

use crate::discovery::ProcessStats;
use crate::performance::DurationStats;
use serde::{Deserialize, Serialize};

/// Waiting time on one directly-follows edge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeTime {
    /// Source activity name.
    pub from: String,
    /// Target activity name.
    pub to: String,
    /// Time between the two events.
    pub duration: DurationStats,
    /// Share of all waiting time in the process spent on this edge (0–1).
    pub share: f64,
}

/// Time spent at one activity: from its event to the next event of the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityTime {
    /// Activity name.
    pub activity: String,
    /// Time to the next event.
    pub duration: DurationStats,
    /// Share of all waiting time in the process spent here (0–1).
    pub share: f64,
    /// Service time (start to complete, or a span's duration), when the source records it.
    pub service: DurationStats,
    /// Waiting time before the activity (from the latest earlier step's end to its start),
    /// when the steps have ends (trace spans).
    #[serde(default)]
    pub waiting: DurationStats,
}

/// The bottleneck rankings of a process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bottlenecks {
    /// Edges by total waiting time, largest first.
    pub by_total: Vec<EdgeTime>,
    /// Edges by 95th-percentile waiting time, largest first.
    pub by_p95: Vec<EdgeTime>,
    /// Activities by total time until the next step, largest first.
    pub activities: Vec<ActivityTime>,
}

/// Ranks the edges and activities of `stats` by waiting time.
pub fn rank_bottlenecks(stats: &ProcessStats) -> Bottlenecks {
    let all: i128 = stats.edges.iter().map(|e| e.duration.total as i128).sum();
    let share = |t: i64| if all > 0 { t as f64 / all as f64 } else { 0.0 };
    let edges: Vec<EdgeTime> = stats
        .edges
        .iter()
        .filter(|e| e.duration.count > 0)
        .map(|e| EdgeTime {
            from: stats.name(e.from).to_string(),
            to: stats.name(e.to).to_string(),
            duration: e.duration,
            share: share(e.duration.total),
        })
        .collect();
    let mut by_total = edges.clone();
    by_total.sort_by_key(|e| std::cmp::Reverse(e.duration.total));
    let mut by_p95 = edges;
    by_p95.sort_by_key(|e| std::cmp::Reverse(e.duration.p95));
    let mut activities: Vec<ActivityTime> = stats
        .activities
        .iter()
        .filter(|a| a.time_to_next.count > 0 || a.service.count > 0 || a.waiting.count > 0)
        .map(|a| ActivityTime {
            activity: a.name.clone(),
            duration: a.time_to_next,
            share: share(a.time_to_next.total),
            service: a.service,
            waiting: a.waiting,
        })
        .collect();
    activities.sort_by_key(|a| std::cmp::Reverse(a.duration.total));
    Bottlenecks {
        by_total,
        by_p95,
        activities,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EventLogBuilder;

    #[test]
    fn the_slow_edge_ranks_first() {
        let mut b = EventLogBuilder::new();
        for i in 0..10 {
            b.start_case(i.to_string());
            b.push_event("order", Some(0));
            b.push_event("pay", Some(10));
            let wait = if i == 0 { 10_000 } else { 20 };
            b.push_event("ship", Some(10 + wait));
        }
        let stats = ProcessStats::from_log(&b.build());
        let r = rank_bottlenecks(&stats);
        assert_eq!(
            (r.by_total[0].from.as_str(), r.by_total[0].to.as_str()),
            ("pay", "ship")
        );
        assert_eq!(r.by_p95[0].to, "ship");
        assert_eq!(r.activities[0].activity, "pay");
        let shares: f64 = r.by_total.iter().map(|e| e.share).sum();
        assert!((shares - 1.0).abs() < 1e-9);
    }
}
