//! The Inductive Miner, infrequent variant (IMf): a block-structured process tree from the
//! variants of a log, by recursively finding the cut (exclusive choice, sequence, parallel,
//! loop) that splits the directly-follows graph, splitting the log along it, and falling
//! through to general constructs when no cut exists. At noise 0 every trace of the log fits
//! the tree; a higher noise threshold ignores infrequent directly-follows edges.
//!
//! It runs on [`ProcessStats`] variants, so it works the same on a file and on a store.

mod cuts;
mod tree;

pub use tree::ProcessTree;

use crate::discovery::ProcessStats;
use cuts::{loop_cut, parallel_cut, sequence_cut, xor_cut, Dfg};
use std::collections::BTreeSet;

/// A sub-log: activity sequences (indices into the activity names) with how often each occurs.
type Log = Vec<(Vec<usize>, u64)>;

/// Discovers a process tree from the variants in `stats`; `noise` (0–1) is IMf's threshold.
pub fn inductive_miner(stats: &ProcessStats, noise: f64) -> ProcessTree {
    let log: Log = stats
        .variants
        .iter()
        .map(|v| (v.activities.clone(), v.count))
        .collect();
    let names: Vec<&str> = stats.activities.iter().map(|a| a.name.as_str()).collect();
    Miner {
        names: &names,
        noise: noise.clamp(0.0, 1.0),
    }
    .mine(log)
}

struct Miner<'a> {
    names: &'a [&'a str],
    noise: f64,
}

impl Miner<'_> {
    fn activity(&self, a: usize) -> ProcessTree {
        ProcessTree::Activity(self.names[a].to_string())
    }

    fn mine(&self, log: Log) -> ProcessTree {
        let total: u64 = log.iter().map(|(_, c)| c).sum();
        let empty: u64 = log
            .iter()
            .filter(|(t, _)| t.is_empty())
            .map(|(_, c)| c)
            .sum();
        let log: Log = log.into_iter().filter(|(t, _)| !t.is_empty()).collect();
        if log.is_empty() {
            return ProcessTree::Tau;
        }
        if empty > 0 && empty as f64 >= self.noise * total as f64 {
            return ProcessTree::Xor(vec![ProcessTree::Tau, self.mine(log)]);
        }
        let alphabet: BTreeSet<usize> = log.iter().flat_map(|(t, _)| t.iter().copied()).collect();
        if alphabet.len() == 1 {
            let a = self.activity(*alphabet.first().expect("one activity"));
            return if log.iter().all(|(t, _)| t.len() == 1) {
                a
            } else {
                ProcessTree::Loop(vec![a, ProcessTree::Tau])
            };
        }
        let dfg = Dfg::of(&log).filtered(self.noise);
        if let Some(parts) = xor_cut(&dfg, &alphabet) {
            return ProcessTree::Xor(
                parts
                    .iter()
                    .map(|p| self.mine(split_xor(&log, p)))
                    .collect(),
            );
        }
        if let Some(parts) = sequence_cut(&dfg, &alphabet) {
            return ProcessTree::Sequence(
                parts.iter().map(|p| self.mine(project(&log, p))).collect(),
            );
        }
        if let Some(parts) = parallel_cut(&dfg, &alphabet) {
            return ProcessTree::Parallel(
                parts.iter().map(|p| self.mine(project(&log, p))).collect(),
            );
        }
        if let Some(parts) = loop_cut(&dfg, &alphabet) {
            return ProcessTree::Loop(
                split_loop(&log, &parts)
                    .into_iter()
                    .map(|l| self.mine(l))
                    .collect(),
            );
        }
        self.fall_through(log, &alphabet, &dfg)
    }

    /// When no cut fits: an activity once per trace in parallel, an activity concurrent to the
    /// rest, a loop through the start activities, or (last) the flower model that allows
    /// anything over the alphabet.
    fn fall_through(&self, log: Log, alphabet: &BTreeSet<usize>, dfg: &Dfg) -> ProcessTree {
        if let Some(&a) = alphabet.iter().find(|&&a| {
            log.iter()
                .all(|(t, _)| t.iter().filter(|&&x| x == a).count() == 1)
        }) {
            let rest: BTreeSet<usize> = alphabet.iter().copied().filter(|&x| x != a).collect();
            return ProcessTree::Parallel(vec![self.activity(a), self.mine(project(&log, &rest))]);
        }
        // Activity concurrent: an activity whose removal leaves a log with a cut runs in
        // parallel with the rest (precise where the flower model would allow anything).
        for &a in alphabet {
            let rest: BTreeSet<usize> = alphabet.iter().copied().filter(|&x| x != a).collect();
            let without = project(&log, &rest);
            let rest_dfg = Dfg::of(&without).filtered(self.noise);
            let has_cut = xor_cut(&rest_dfg, &rest).is_some()
                || sequence_cut(&rest_dfg, &rest).is_some()
                || parallel_cut(&rest_dfg, &rest).is_some()
                || loop_cut(&rest_dfg, &rest).is_some();
            if has_cut {
                let only: BTreeSet<usize> = [a].into();
                return ProcessTree::Parallel(vec![
                    self.mine(project(&log, &only)),
                    self.mine(without),
                ]);
            }
        }
        for strict in [true, false] {
            let split = split_at_starts(&log, dfg, strict);
            if split.iter().map(|(_, c)| c).sum::<u64>() > log.iter().map(|(_, c)| c).sum::<u64>() {
                return ProcessTree::Loop(vec![self.mine(split), ProcessTree::Tau]);
            }
        }
        let mut flower = vec![ProcessTree::Tau];
        flower.extend(alphabet.iter().map(|&a| self.activity(a)));
        ProcessTree::Loop(flower)
    }
}

/// Adds `trace` with `count` to `log`, merging equal traces.
fn add(log: &mut Log, trace: Vec<usize>, count: u64) {
    match log.iter_mut().find(|(t, _)| *t == trace) {
        Some((_, c)) => *c += count,
        None => log.push((trace, count)),
    }
}

/// Each trace goes to the part holding most of its events; events of other parts are dropped
/// (none at noise 0, where a trace never spans two parts).
fn split_xor(log: &Log, part: &BTreeSet<usize>) -> Log {
    let mut out = Log::new();
    for (trace, count) in log {
        let inside = trace.iter().filter(|a| part.contains(a)).count();
        if inside * 2 > trace.len()
            || (inside > 0 && inside * 2 == trace.len() && part.contains(&trace[0]))
        {
            add(
                &mut out,
                trace.iter().copied().filter(|a| part.contains(a)).collect(),
                *count,
            );
        }
    }
    out
}

/// Each trace restricted to the activities of `part` (sequence and parallel splits).
fn project(log: &Log, part: &BTreeSet<usize>) -> Log {
    let mut out = Log::new();
    for (trace, count) in log {
        add(
            &mut out,
            trace.iter().copied().filter(|a| part.contains(a)).collect(),
            *count,
        );
    }
    out
}

/// Loop split: maximal runs of `do` activities go to the do-log, runs of redo activities to
/// the log of the redo part their first activity belongs to.
fn split_loop(log: &Log, parts: &[BTreeSet<usize>]) -> Vec<Log> {
    let mut logs = vec![Log::new(); parts.len()];
    let part_of = |a: usize| parts.iter().position(|p| p.contains(&a)).unwrap_or(0);
    for (trace, count) in log {
        let mut current: Vec<usize> = Vec::new();
        let mut current_part = 0;
        for &a in trace {
            let p = part_of(a);
            if p != current_part && (p == 0 || current_part == 0) {
                if current_part == 0 || !current.is_empty() {
                    add(
                        &mut logs[current_part],
                        std::mem::take(&mut current),
                        *count,
                    );
                }
                current_part = p;
            }
            if p == current_part {
                current.push(a);
            }
        }
        add(&mut logs[current_part], current, *count);
    }
    logs
}

/// Splits traces before each start activity that is not at the front (and, when `strict`,
/// only where an end activity directly precedes it).
fn split_at_starts(log: &Log, dfg: &Dfg, strict: bool) -> Log {
    let mut out = Log::new();
    for (trace, count) in log {
        let mut current = Vec::new();
        for (i, &a) in trace.iter().enumerate() {
            let boundary = i > 0
                && dfg.starts.contains_key(&a)
                && (!strict || dfg.ends.contains_key(&trace[i - 1]));
            if boundary {
                add(&mut out, std::mem::take(&mut current), *count);
            }
            current.push(a);
        }
        add(&mut out, current, *count);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EventLogBuilder;

    fn stats(traces: &[&str]) -> ProcessStats {
        let mut b = EventLogBuilder::new();
        for (i, t) in traces.iter().enumerate() {
            b.start_case(i.to_string());
            for (k, a) in t.split_whitespace().enumerate() {
                b.push_event(a, Some(k as i64));
            }
        }
        ProcessStats::from_log(&b.build())
    }

    fn fits(tree: &ProcessTree, s: &ProcessStats) -> bool {
        s.variants.iter().all(|v| tree.accepts(&s.variant_names(v)))
    }

    #[test]
    fn finds_the_textbook_cuts() {
        let seq_par = stats(&["a b c d", "a c b d", "a b c d"]);
        assert_eq!(
            inductive_miner(&seq_par, 0.0).to_string(),
            "->( 'a', +( 'b', 'c' ), 'd' )"
        );
        let choice = stats(&["a b d", "a c d"]);
        assert_eq!(
            inductive_miner(&choice, 0.0).to_string(),
            "->( 'a', X( 'b', 'c' ), 'd' )"
        );
        let looped = stats(&["a b c", "a b d b c", "a b d b d b c"]);
        assert_eq!(
            inductive_miner(&looped, 0.0).to_string(),
            "->( 'a', *( 'b', 'd' ), 'c' )"
        );
        let skip = stats(&["a b", "a"]);
        assert_eq!(
            inductive_miner(&skip, 0.0).to_string(),
            "->( 'a', X( tau, 'b' ) )"
        );
    }

    #[test]
    fn every_trace_fits_at_noise_zero_even_when_falling_through() {
        for log in [
            &["a b c", "c b a", "b", "a a a", "b c a b"][..],
            &["a b c d", "d c b a", "a c", "b d a", "c", "a b a b"],
            &["x y", "y x", "x x y y", "y"],
        ] {
            let s = stats(log);
            let tree = inductive_miner(&s, 0.0);
            assert!(fits(&tree, &s), "{tree} must fit {log:?}");
        }
    }

    #[test]
    fn noise_filters_infrequent_behaviour() {
        let mut traces = vec!["a b c"; 50];
        traces.push("a c");
        let s = stats(&traces);
        assert_eq!(
            inductive_miner(&s, 0.0).to_string(),
            "->( 'a', X( tau, 'b' ), 'c' )"
        );
        assert_eq!(inductive_miner(&s, 0.2).to_string(), "->( 'a', 'b', 'c' )");
    }
}
