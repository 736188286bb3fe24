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
use crate::MinerError;
use cuts::{loop_cut, parallel_cut, sequence_cut, xor_cut, Dfg, Graph};
use std::collections::{BTreeSet, HashMap};

/// A sub-log: activity sequences (indices into the activity names) with how often each occurs.
type Log = Vec<(Vec<usize>, u64)>;

/// Most activities a model is discovered for: discovery tries a cut once per activity at each
/// fall-through, so its cost grows with the cube of the activities (1,200 take about 6 s,
/// 4,200 about 100 s on two cores; `make bench`).
pub const MAX_ACTIVITIES: usize = 2_000;

/// Discovers a process tree from the variants in `stats`; `noise` (0–1) is IMf's threshold.
/// Refuses logs of more than [`MAX_ACTIVITIES`] activities.
pub fn inductive_miner(stats: &ProcessStats, noise: f64) -> Result<ProcessTree, MinerError> {
    if stats.activities.len() > MAX_ACTIVITIES {
        return Err(MinerError::TooManyActivities {
            activities: stats.activities.len(),
            limit: MAX_ACTIVITIES,
        });
    }
    let log: Log = stats
        .variants
        .iter()
        .map(|v| (v.activities.clone(), v.count))
        .collect();
    let names: Vec<&str> = stats.activities.iter().map(|a| a.name.as_str()).collect();
    Ok(Miner {
        names: &names,
        noise: noise.clamp(0.0, 1.0),
    }
    .mine(log))
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
        // As IMf: the cuts of the whole graph first; only when none fits, those of the graph
        // without its infrequent edges; only when none fits there either, a fall-through.
        let dfg = Dfg::of(&log);
        if let Some(tree) = self.cut(&log, &alphabet, &dfg) {
            return tree;
        }
        if self.noise > 0.0 {
            if let Some(tree) = self.cut(&log, &alphabet, &dfg.clone().filtered(self.noise)) {
                return tree;
            }
        }
        self.fall_through(log, &alphabet, &dfg)
    }

    /// The tree of the first cut of `dfg` that splits `alphabet` (exclusive choice, sequence,
    /// parallel, loop), with each part mined from its sub-log.
    fn cut(&self, log: &Log, alphabet: &BTreeSet<usize>, dfg: &Dfg) -> Option<ProcessTree> {
        let graph = Graph::new(dfg, alphabet);
        if let Some(parts) = xor_cut(&graph) {
            let parts = self.in_name_order(parts);
            return Some(ProcessTree::Xor(
                split_xor(log, &parts)
                    .into_iter()
                    .map(|l| self.mine(l))
                    .collect(),
            ));
        }
        if let Some(parts) = sequence_cut(&graph) {
            return Some(ProcessTree::Sequence(
                parts.iter().map(|p| self.mine(project(log, p))).collect(),
            ));
        }
        if let Some(parts) = parallel_cut(&graph) {
            return Some(ProcessTree::Parallel(
                parts.iter().map(|p| self.mine(project(log, p))).collect(),
            ));
        }
        let parts = loop_cut(&graph)?;
        Some(ProcessTree::Loop(
            split_loop(log, &parts)
                .into_iter()
                .map(|l| self.mine(l))
                .collect(),
        ))
    }

    /// Exclusive-choice parts ordered by their sorted activity names, as pm4py orders them
    /// (the order decides which part a trace that overlaps two equally goes to).
    fn in_name_order(&self, mut parts: Vec<BTreeSet<usize>>) -> Vec<BTreeSet<usize>> {
        let names = |p: &BTreeSet<usize>| {
            let mut names: Vec<&str> = p.iter().map(|&a| self.names[a]).collect();
            names.sort_unstable();
            names
        };
        parts.sort_by_cached_key(names);
        parts
    }

    /// When no cut fits: an activity once per trace in parallel, an activity concurrent to the
    /// rest, a loop through the start activities, or (last) the flower model that allows
    /// anything over the alphabet.
    fn fall_through(&self, log: Log, alphabet: &BTreeSet<usize>, dfg: &Dfg) -> ProcessTree {
        if let Some(a) = once_per_trace(&log, alphabet) {
            let rest: BTreeSet<usize> = alphabet.iter().copied().filter(|&x| x != a).collect();
            return ProcessTree::Parallel(vec![self.activity(a), self.mine(project(&log, &rest))]);
        }
        // Activity concurrent: an activity whose removal leaves a log with a cut runs in
        // parallel with the rest (precise where the flower model would allow anything).
        let mut holding: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, (trace, _)) in log.iter().enumerate() {
            let mut seen = BTreeSet::new();
            for &a in trace {
                if seen.insert(a) {
                    holding.entry(a).or_default().push(i);
                }
            }
        }
        for &a in alphabet {
            let rest: BTreeSet<usize> = alphabet.iter().copied().filter(|&x| x != a).collect();
            let rest_graph = Graph::new(&dfg.without(&log, a, &holding[&a]), &rest);
            let has_cut = xor_cut(&rest_graph).is_some()
                || sequence_cut(&rest_graph).is_some()
                || parallel_cut(&rest_graph).is_some()
                || loop_cut(&rest_graph).is_some();
            if has_cut {
                let without = project(&log, &rest);
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
/// The activity occurring exactly once in every trace, the first such in `alphabet`.
fn once_per_trace(log: &Log, alphabet: &BTreeSet<usize>) -> Option<usize> {
    let mut candidates: BTreeSet<usize> = alphabet.clone();
    let mut counts: HashMap<usize, u32> = HashMap::new();
    for (trace, _) in log {
        counts.clear();
        for &a in trace {
            *counts.entry(a).or_default() += 1;
        }
        candidates.retain(|a| counts.get(a) == Some(&1));
        if candidates.is_empty() {
            return None;
        }
    }
    candidates.first().copied()
}

/// A log under construction that merges equal traces, in the order they first came.
#[derive(Default)]
struct LogBuilder {
    log: Log,
    index: HashMap<Vec<usize>, usize>,
}

impl LogBuilder {
    fn add(&mut self, trace: Vec<usize>, count: u64) {
        match self.index.get(&trace) {
            Some(&i) => self.log[i].1 += count,
            None => {
                self.index.insert(trace.clone(), self.log.len());
                self.log.push((trace, count));
            }
        }
    }
}

/// The sub-logs of an exclusive choice: each trace goes, restricted to that part, to the part
/// holding most of its events (of parts holding equally many, the last), so no trace is lost.
/// At noise 0 a trace never spans two parts; with noise its events of other parts are
/// dropped, as in IMf. A part no trace leans to (its activities only occur, infrequently,
/// inside traces of other parts) gets those traces restricted to it, so that every activity
/// of the log stays in the model.
fn split_xor(log: &Log, parts: &[BTreeSet<usize>]) -> Vec<Log> {
    let part_of = part_index(parts);
    let mut logs: Vec<LogBuilder> = parts.iter().map(|_| LogBuilder::default()).collect();
    let mut inside = vec![0usize; parts.len()];
    for (trace, count) in log {
        inside.iter_mut().for_each(|n| *n = 0);
        trace.iter().for_each(|a| inside[part_of[a]] += 1);
        let best = (0..parts.len())
            .max_by_key(|&i| (inside[i], i))
            .expect("a cut has parts");
        let kept = trace
            .iter()
            .copied()
            .filter(|a| part_of[a] == best)
            .collect();
        logs[best].add(kept, *count);
    }
    parts
        .iter()
        .zip(logs)
        .map(|(part, sub)| {
            if sub.log.is_empty() {
                let mut sub = project(log, part);
                sub.retain(|(trace, _)| !trace.is_empty());
                sub
            } else {
                sub.log
            }
        })
        .collect()
}

/// The part of each activity of `parts`.
fn part_index(parts: &[BTreeSet<usize>]) -> HashMap<usize, usize> {
    parts
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.iter().map(move |&a| (a, i)))
        .collect()
}

/// Each trace restricted to the activities of `part` (sequence and parallel splits).
fn project(log: &Log, part: &BTreeSet<usize>) -> Log {
    let mut out = LogBuilder::default();
    for (trace, count) in log {
        out.add(
            trace.iter().copied().filter(|a| part.contains(a)).collect(),
            *count,
        );
    }
    out.log
}

/// Loop split: maximal runs of `do` activities go to the do-log, runs of redo activities to
/// the log of the redo part their first activity belongs to.
fn split_loop(log: &Log, parts: &[BTreeSet<usize>]) -> Vec<Log> {
    let mut logs: Vec<LogBuilder> = parts.iter().map(|_| LogBuilder::default()).collect();
    let index = part_index(parts);
    let part_of = |a: usize| index.get(&a).copied().unwrap_or(0);
    for (trace, count) in log {
        let mut current: Vec<usize> = Vec::new();
        let mut current_part = 0;
        for &a in trace {
            let p = part_of(a);
            if p != current_part && (p == 0 || current_part == 0) {
                if current_part == 0 || !current.is_empty() {
                    logs[current_part].add(std::mem::take(&mut current), *count);
                }
                current_part = p;
            }
            if p == current_part {
                current.push(a);
            }
        }
        logs[current_part].add(current, *count);
    }
    logs.into_iter().map(|l| l.log).collect()
}

/// Splits traces before each start activity that is not at the front (and, when `strict`,
/// only where an end activity directly precedes it).
fn split_at_starts(log: &Log, dfg: &Dfg, strict: bool) -> Log {
    let mut out = LogBuilder::default();
    for (trace, count) in log {
        let mut current = Vec::new();
        for (i, &a) in trace.iter().enumerate() {
            let boundary = i > 0
                && dfg.starts.contains_key(&a)
                && (!strict || dfg.ends.contains_key(&trace[i - 1]));
            if boundary {
                out.add(std::mem::take(&mut current), *count);
            }
            current.push(a);
        }
        out.add(current, *count);
    }
    out.log
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
            inductive_miner(&seq_par, 0.0).unwrap().to_string(),
            "->( 'a', +( 'b', 'c' ), 'd' )"
        );
        let choice = stats(&["a b d", "a c d"]);
        assert_eq!(
            inductive_miner(&choice, 0.0).unwrap().to_string(),
            "->( 'a', X( 'b', 'c' ), 'd' )"
        );
        let looped = stats(&["a b c", "a b d b c", "a b d b d b c"]);
        assert_eq!(
            inductive_miner(&looped, 0.0).unwrap().to_string(),
            "->( 'a', *( 'b', 'd' ), 'c' )"
        );
        let skip = stats(&["a b", "a"]);
        assert_eq!(
            inductive_miner(&skip, 0.0).unwrap().to_string(),
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
            let tree = inductive_miner(&s, 0.0).unwrap();
            assert!(fits(&tree, &s), "{tree} must fit {log:?}");
        }
    }

    #[test]
    fn noise_filters_infrequent_behaviour() {
        let mut traces = vec!["a b c"; 50];
        traces.push("a c");
        let s = stats(&traces);
        assert_eq!(
            inductive_miner(&s, 0.0).unwrap().to_string(),
            "->( 'a', X( tau, 'b' ), 'c' )"
        );
        assert_eq!(
            inductive_miner(&s, 0.2).unwrap().to_string(),
            "->( 'a', 'b', 'c' )"
        );
    }

    #[test]
    fn a_trace_spanning_parts_equally_keeps_its_activities() {
        // Filtered at 0.2, the graph falls apart into {a b}, {c d} and {e f}; the one trace
        // through x touches all three once, and x is nowhere else.
        let mut traces = vec!["a b"; 40];
        traces.extend(vec!["c d"; 40]);
        traces.extend(vec!["e f"; 40]);
        traces.push("a x c e");
        let s = stats(&traces);
        for noise in [0.0, 0.2, 0.5] {
            let tree = inductive_miner(&s, noise).unwrap();
            let mut kept = tree.alphabet();
            kept.sort_unstable();
            kept.dedup();
            assert_eq!(
                kept,
                ["a", "b", "c", "d", "e", "f", "x"],
                "noise {noise}: {tree}"
            );
        }
    }

    #[test]
    fn every_activity_stays_in_the_model_at_every_noise_level() {
        let mut rng = Lcg(7);
        let names = ["a", "b", "c", "d", "e", "f", "g", "h"];
        for _ in 0..200 {
            let traces: Vec<String> = (0..rng.below(30) + 1)
                .map(|_| {
                    (0..rng.below(6) + 1)
                        .map(|_| names[rng.below(names.len())])
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            let refs: Vec<&str> = traces.iter().map(String::as_str).collect();
            let s = stats(&refs);
            for noise in [0.0, 0.2, 0.5, 1.0] {
                let tree = inductive_miner(&s, noise).unwrap();
                let kept: BTreeSet<&str> = tree.alphabet().into_iter().collect();
                let all: BTreeSet<&str> = s.activities.iter().map(|a| a.name.as_str()).collect();
                assert_eq!(kept, all, "noise {noise}: {tree} from {traces:?}");
            }
        }
    }

    /// A small deterministic generator for random logs.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 33) % n as u64) as usize
        }
    }

    #[test]
    fn a_log_beyond_the_activity_limit_is_refused_with_a_message() {
        let names: Vec<String> = (0..=MAX_ACTIVITIES).map(|a| format!("a{a}")).collect();
        let trace = names.join(" ");
        let e = inductive_miner(&stats(&[&trace]), 0.0).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("a model of 2001 activities is more than the Inductive Miner discovers in bounded time (at most 2000)"),
            "{e}"
        );
    }
}
