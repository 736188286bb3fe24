//! Statistics whose activities' event counts are given anew, ranked again: the union of a
//! case notion's kinds counts an event carrying several keys once, where the kinds merged
//! count it once per key, and the activity slider keeps the most frequent of what is drawn.

use super::{NamedEdge, NamedStats, NamedVariant, ProcessStats};

impl ProcessStats {
    /// The same statistics with each activity's event count `count` gives (by name), its
    /// activities ranked again (most frequent first, ties by name) and every reference to them
    /// renumbered.
    pub fn recounted(self, count: impl Fn(&str) -> u64) -> Self {
        let mut named = self.into_named();
        for activity in &mut named.activities {
            activity.count = count(&activity.name);
        }
        Self::from_named(named)
    }

    /// The statistics under activity names, as [`ProcessStats::from_named`] takes them.
    fn into_named(self) -> NamedStats {
        let names: Vec<String> = self.activities.iter().map(|a| a.name.clone()).collect();
        let named = |pairs: Vec<(usize, u64)>| -> Vec<(String, u64)> {
            pairs
                .into_iter()
                .map(|(a, n)| (names[a].clone(), n))
                .collect()
        };
        NamedStats {
            cases: self.cases,
            events: self.events,
            edges: self
                .edges
                .into_iter()
                .map(|e| NamedEdge {
                    from: names[e.from].clone(),
                    to: names[e.to].clone(),
                    count: e.count,
                    duration: e.duration,
                })
                .collect(),
            start_activities: named(self.start_activities),
            end_activities: named(self.end_activities),
            variants: self
                .variants
                .into_iter()
                .map(|v| NamedVariant {
                    activities: v.activities.iter().map(|&a| names[a].clone()).collect(),
                    count: v.count,
                    mean_throughput: v.mean_throughput,
                })
                .collect(),
            activities: self.activities,
            throughput: self.throughput,
            first_event: self.first_event,
            last_event: self.last_event,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::discovery::{ProcessStats, ProcessStatsBuilder};

    /// The statistics of one case per trace, a letter per activity, a second apart.
    fn stats_of(traces: &[&str]) -> ProcessStats {
        let mut builder = ProcessStatsBuilder::new();
        for trace in traces {
            let activities: Vec<u32> = trace
                .chars()
                .map(|c| builder.intern(&c.to_string()))
                .collect();
            let times: Vec<Option<i64>> = (0..activities.len() as i64).map(Some).collect();
            builder.add_case(&activities, &times);
        }
        builder.finish()
    }

    #[test]
    fn ranks_the_activities_by_their_new_counts_and_renumbers_the_rest() {
        let stats = stats_of(&["abc", "abc", "ac"]);
        assert_eq!(stats.activities[0].name, "a");
        let by_name = |stats: &ProcessStats| {
            let name = |i: usize| stats.activities[i].name.clone();
            let edges: Vec<_> = stats
                .edges
                .iter()
                .map(|e| (name(e.from), name(e.to), e.count))
                .collect();
            let variants: Vec<_> = stats
                .variants
                .iter()
                .map(|v| {
                    (
                        v.activities.iter().map(|&a| name(a)).collect::<String>(),
                        v.count,
                    )
                })
                .collect();
            let starts: Vec<_> = stats
                .start_activities
                .iter()
                .map(|&(a, n)| (name(a), n))
                .collect();
            let ends: Vec<_> = stats
                .end_activities
                .iter()
                .map(|&(a, n)| (name(a), n))
                .collect();
            (edges, variants, starts, ends)
        };
        let before = by_name(&stats);
        let recounted = stats.clone().recounted(|name| match name {
            "b" => 9,
            _ => 1,
        });
        let names: Vec<&str> = recounted
            .activities
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["b", "a", "c"], "by count, ties by name");
        assert_eq!(recounted.activities[0].count, 9);
        assert_eq!(recounted.activities[0].cases, 2, "only the count changes");
        assert_eq!(
            by_name(&recounted),
            before,
            "every path, variant, start and end kept"
        );
        assert_eq!(
            stats.clone().recounted(|name| stats
                .activities
                .iter()
                .find(|a| a.name == name)
                .unwrap()
                .count),
            stats,
            "the same counts give the same statistics"
        );
    }
}
