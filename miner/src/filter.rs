//! Map simplification in the manner of Disco's two sliders.
//!
//! The *activities* slider keeps the most frequent activities; the store then recomputes the
//! statistics over only those (so `a → x → b` becomes `a → b` when `x` is hidden, as users
//! expect). The *paths* slider then keeps the most frequent arcs, but never leaves an
//! activity without a way in or out, nor off every path from start to end, so the map stays
//! connected.

use crate::discovery::{ActivityStats, EdgeStats, ProcessStats};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Dfs;
use serde::{Deserialize, Serialize};

/// An arc of a process map: between two activities, or from the start / to the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Arc {
    /// Cases start with this activity (index into [`ProcessMap::activities`]) this often.
    Start {
        /// Activity index.
        to: usize,
        /// Number of cases.
        count: u64,
    },
    /// A directly-follows edge.
    Flow(EdgeStats),
    /// Cases end with this activity this often.
    End {
        /// Activity index.
        from: usize,
        /// Number of cases.
        count: u64,
    },
}

impl Arc {
    /// How many cases or transitions the arc carries.
    pub fn count(&self) -> u64 {
        match self {
            Arc::Start { count, .. } | Arc::End { count, .. } => *count,
            Arc::Flow(e) => e.count,
        }
    }
}

/// What a process map shows: activities and the arcs kept between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessMap {
    /// Number of cases the map describes.
    pub cases: u64,
    /// The activities shown, most frequent first.
    pub activities: Vec<ActivityStats>,
    /// The arcs shown, most frequent first.
    pub arcs: Vec<Arc>,
}

/// The names of the activities the activity slider keeps at `percent` (0–100): the most
/// frequent ones, at least one.
pub fn kept_activities(stats: &ProcessStats, percent: u8) -> Vec<String> {
    let n = stats.activities.len();
    let keep = ((n as f64) * f64::from(percent.min(100)) / 100.0).round() as usize;
    stats
        .activities
        .iter()
        .take(keep.clamp(1.min(n), n))
        .map(|a| a.name.clone())
        .collect()
}

/// Which kinds of steps a map shows: instant events, steps with a duration (trace spans, or
/// start/complete pairs), or both. Spans sorted among events add paths that are only the
/// services' inner work; either kind alone reads the flow at one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKinds {
    /// Every step.
    #[default]
    Both,
    /// Instant events only.
    Events,
    /// Steps with a duration only.
    Spans,
}

impl StepKinds {
    /// The name used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Both => "both",
            Self::Events => "events",
            Self::Spans => "spans",
        }
    }

    /// Parses the name used in URLs.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Both, Self::Events, Self::Spans]
            .into_iter()
            .find(|k| k.as_str() == text)
    }

    /// Whether an activity's steps are of the kinds kept: a step with a duration is one with
    /// service times.
    pub fn keeps(self, activity: &ActivityStats) -> bool {
        match self {
            Self::Both => true,
            Self::Events => !is_span(activity),
            Self::Spans => is_span(activity),
        }
    }
}

/// Whether an activity's steps have a duration (trace spans, start/complete pairs).
pub fn is_span(activity: &ActivityStats) -> bool {
    activity.service.count > 0
}

/// Builds the map of `stats` keeping `percent` (0–100) of its arcs, most frequent first,
/// plus for each activity its strongest way in and way out when the cut removed them all.
pub fn simplify_paths(stats: &ProcessStats, percent: u8) -> ProcessMap {
    let mut arcs: Vec<Arc> = stats
        .start_activities
        .iter()
        .map(|&(to, count)| Arc::Start { to, count })
        .chain(stats.edges.iter().cloned().map(Arc::Flow))
        .chain(
            stats
                .end_activities
                .iter()
                .map(|&(from, count)| Arc::End { from, count }),
        )
        .collect();
    arcs.sort_by_key(|a| std::cmp::Reverse(a.count()));
    let keep = ((arcs.len() as f64) * f64::from(percent.min(100)) / 100.0).round() as usize;
    let mut kept = vec![false; arcs.len()];
    kept[..keep].iter_mut().for_each(|k| *k = true);

    for activity in 0..stats.activities.len() {
        let ins = |a: &Arc| match a {
            Arc::Start { to, .. } => *to == activity,
            Arc::Flow(e) => e.to == activity && e.from != activity,
            Arc::End { .. } => false,
        };
        let outs = |a: &Arc| match a {
            Arc::End { from, .. } => *from == activity,
            Arc::Flow(e) => e.from == activity && e.to != activity,
            Arc::Start { .. } => false,
        };
        for wanted in [&ins as &dyn Fn(&Arc) -> bool, &outs] {
            let has = arcs.iter().zip(&kept).any(|(a, &k)| k && wanted(a));
            if !has {
                // arcs are sorted by count, so the first match is the strongest.
                if let Some(i) = arcs.iter().position(wanted) {
                    kept[i] = true;
                }
            }
        }
    }

    connect(&arcs, &mut kept, stats.activities.len());

    ProcessMap {
        cases: stats.cases,
        activities: stats.activities.clone(),
        arcs: arcs
            .into_iter()
            .zip(kept)
            .filter_map(|(a, k)| k.then_some(a))
            .collect(),
    }
}

/// The ends of an arc as graph nodes: activities `0..n`, then start (`n`) and end (`n + 1`).
fn ends_of(arc: &Arc, n: usize) -> (usize, usize) {
    match arc {
        Arc::Start { to, .. } => (n, *to),
        Arc::Flow(e) => (e.from, e.to),
        Arc::End { from, .. } => (*from, n + 1),
    }
}

/// Keeps more arcs (`arcs` sorted by count, strongest first) until every one of the `n`
/// activities lies on a kept path from start to end: while some activity cannot be reached
/// from start, the strongest arc into it from what can is kept; then the same towards end.
/// Such an arc always exists, since every activity happened in some case from start to end.
fn connect(arcs: &[Arc], kept: &mut [bool], n: usize) {
    for towards_end in [false, true] {
        loop {
            let mut graph: DiGraph<(), ()> = DiGraph::new();
            let nodes: Vec<NodeIndex> = (0..n + 2).map(|_| graph.add_node(())).collect();
            for (arc, _) in arcs.iter().zip(kept.iter()).filter(|(_, &k)| k) {
                let (from, to) = ends_of(arc, n);
                if towards_end {
                    graph.add_edge(nodes[to], nodes[from], ());
                } else {
                    graph.add_edge(nodes[from], nodes[to], ());
                }
            }
            let mut reached = vec![false; n + 2];
            let mut search = Dfs::new(&graph, nodes[if towards_end { n + 1 } else { n }]);
            while let Some(node) = search.next(&graph) {
                reached[node.index()] = true;
            }
            if reached[..n].iter().all(|&r| r) {
                break;
            }
            // The strongest arc from what is connected to what is not.
            let bridge = arcs.iter().enumerate().position(|(i, arc)| {
                let (from, to) = ends_of(arc, n);
                let (inside, outside) = if towards_end { (to, from) } else { (from, to) };
                !kept[i] && reached[inside] && !reached[outside]
            });
            match bridge {
                Some(i) => kept[i] = true,
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EventLogBuilder;

    fn stats() -> ProcessStats {
        let mut b = EventLogBuilder::new();
        let cases: &[&[&str]] = &[
            &["a", "b", "d"],
            &["a", "b", "d"],
            &["a", "b", "d"],
            &["a", "c", "d"],
            &["a", "b", "c", "d"],
        ];
        for (i, c) in cases.iter().enumerate() {
            b.start_case(i.to_string());
            for (t, a) in c.iter().enumerate() {
                b.push_event(a, Some(t as i64));
            }
        }
        ProcessStats::from_log(&b.build())
    }

    #[test]
    fn activity_slider_keeps_the_most_frequent() {
        let s = stats();
        assert_eq!(kept_activities(&s, 100).len(), 4);
        assert_eq!(kept_activities(&s, 50), ["a", "d"]);
        assert_eq!(kept_activities(&s, 0), ["a"]);
    }

    #[test]
    fn every_activity_stays_between_start_and_end_at_any_cut() {
        // Each activity's strongest way out is the loop a <-> b, never the way to the end.
        let mut b = EventLogBuilder::new();
        for i in 0..3 {
            b.start_case(i.to_string());
            for (t, a) in ["a", "b", "a"].iter().enumerate() {
                b.push_event(a, Some(t as i64));
            }
        }
        let s = ProcessStats::from_log(&b.build());
        for percent in [0, 10, 30, 60] {
            let map = simplify_paths(&s, percent);
            let n = s.activities.len();
            let kept: Vec<bool> = vec![true; map.arcs.len()];
            let mut check = kept.clone();
            connect(&map.arcs, &mut check, n);
            assert_eq!(check, kept, "{percent}%: nothing left to connect");
            assert!(
                map.arcs.iter().any(|a| matches!(a, Arc::End { .. })),
                "{percent}%: end is reached"
            );
        }
    }

    #[test]
    fn path_slider_keeps_strong_arcs_and_connectivity() {
        let s = stats();
        let full = simplify_paths(&s, 100);
        assert_eq!(full.arcs.len(), 2 + s.edges.len());
        let thin = simplify_paths(&s, 0);
        assert!(thin.arcs.len() < full.arcs.len());
        let c = s.index_of("c").unwrap();
        let flows_touching_c = thin
            .arcs
            .iter()
            .filter(|a| matches!(a, Arc::Flow(e) if e.from == c || e.to == c))
            .count();
        assert!(flows_touching_c >= 2, "c keeps a way in and out");
        for activity in 0..s.activities.len() {
            let has_in = thin.arcs.iter().any(|a| match a {
                Arc::Start { to, .. } => *to == activity,
                Arc::Flow(e) => e.to == activity,
                Arc::End { .. } => false,
            });
            assert!(has_in, "{} has a way in", s.name(activity));
        }
    }
}
