//! The stable JSON summary of a log printed by `flowsight mine --json`, in pm4py's vocabulary,
//! so that other tools and checks can compare results field by field.

use crate::discovery::ProcessStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Counts, start/end activities and every directly-follows edge of a log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogSummary {
    /// Number of cases.
    pub cases: u64,
    /// Number of events.
    pub events: u64,
    /// Number of distinct activities.
    pub activities: u64,
    /// Number of distinct variants.
    pub variants: u64,
    /// Number of directly-follows edges.
    pub df_edges: u64,
    /// Every edge as `[from, to, count]`, most frequent first.
    pub dfg: Vec<(String, String, u64)>,
    /// Start activities with the number of cases starting there.
    pub start_activities: BTreeMap<String, u64>,
    /// End activities with the number of cases ending there.
    pub end_activities: BTreeMap<String, u64>,
}

impl LogSummary {
    /// The summary of `stats`.
    pub fn of(stats: &ProcessStats) -> Self {
        Self {
            cases: stats.cases,
            events: stats.events,
            activities: stats.activities.len() as u64,
            variants: stats.variants.len() as u64,
            df_edges: stats.edges.len() as u64,
            dfg: stats
                .edges
                .iter()
                .map(|e| {
                    (
                        stats.name(e.from).to_string(),
                        stats.name(e.to).to_string(),
                        e.count,
                    )
                })
                .collect(),
            start_activities: stats.named_counts(&stats.start_activities),
            end_activities: stats.named_counts(&stats.end_activities),
        }
    }
}
