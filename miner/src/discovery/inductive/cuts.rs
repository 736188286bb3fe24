//! Cut detection on the directly-follows graph of a sub-log.

use super::Log;
use std::collections::{BTreeSet, HashMap};

/// Directly-follows counts with start and end activities.
#[derive(Debug, Clone, Default)]
pub struct Dfg {
    /// `(a, b)` → how often `b` directly followed `a`.
    pub edges: HashMap<(usize, usize), u64>,
    /// Start activities with counts.
    pub starts: HashMap<usize, u64>,
    /// End activities with counts.
    pub ends: HashMap<usize, u64>,
}

impl Dfg {
    /// The graph of `log`.
    pub fn of(log: &Log) -> Self {
        let mut dfg = Self::default();
        for (trace, count) in log {
            if let (Some(&first), Some(&last)) = (trace.first(), trace.last()) {
                *dfg.starts.entry(first).or_default() += count;
                *dfg.ends.entry(last).or_default() += count;
            }
            for w in trace.windows(2) {
                *dfg.edges.entry((w[0], w[1])).or_default() += count;
            }
        }
        dfg
    }

    /// IMf's filter, as pm4py applies it: drops edges not stronger than `noise` times the
    /// strongest way out of the same activity (its edges, or ending the trace there), and
    /// start activities weaker than `noise` times the strongest one.
    pub fn filtered(mut self, noise: f64) -> Self {
        if noise <= 0.0 {
            return self;
        }
        let mut strongest: HashMap<usize, u64> = self.ends.clone();
        for (&(a, _), &c) in &self.edges {
            let s = strongest.entry(a).or_default();
            *s = (*s).max(c);
        }
        self.edges
            .retain(|(a, _), c| *c as f64 > noise * strongest[a] as f64);
        let max = self.starts.values().copied().max().unwrap_or(0);
        self.starts.retain(|_, c| *c as f64 >= noise * max as f64);
        self
    }

    fn has(&self, a: usize, b: usize) -> bool {
        self.edges.contains_key(&(a, b))
    }
}

/// Groups of `nodes` that `together(a, b)` connects (union-find over all pairs).
fn components(nodes: &[usize], together: impl Fn(usize, usize) -> bool) -> Vec<BTreeSet<usize>> {
    let mut parent: Vec<usize> = (0..nodes.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..nodes.len() {
        for j in i + 1..nodes.len() {
            if together(nodes[i], nodes[j]) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a] = b;
            }
        }
    }
    let mut groups: Vec<BTreeSet<usize>> = Vec::new();
    let mut index: HashMap<usize, usize> = HashMap::new();
    for (i, &node) in nodes.iter().enumerate() {
        let r = root(&mut parent, i);
        let g = *index.entry(r).or_insert_with(|| {
            groups.push(BTreeSet::new());
            groups.len() - 1
        });
        groups[g].insert(node);
    }
    groups
}

/// Exclusive choice: the alphabet falls apart into parts with no edge between them.
pub fn xor_cut(dfg: &Dfg, alphabet: &BTreeSet<usize>) -> Option<Vec<BTreeSet<usize>>> {
    let nodes: Vec<usize> = alphabet.iter().copied().collect();
    let parts = components(&nodes, |a, b| dfg.has(a, b) || dfg.has(b, a));
    (parts.len() > 1).then_some(parts)
}

/// Which activities each activity can reach through one or more edges.
fn reachability(dfg: &Dfg, nodes: &[usize]) -> HashMap<usize, BTreeSet<usize>> {
    let mut reach = HashMap::new();
    for &start in nodes {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start];
        while let Some(a) = stack.pop() {
            for &b in nodes {
                if dfg.has(a, b) && seen.insert(b) {
                    stack.push(b);
                }
            }
        }
        reach.insert(start, seen);
    }
    reach
}

/// Sequence: parts ordered so that everything in an earlier part reaches everything in later
/// ones and nothing leads back.
pub fn sequence_cut(dfg: &Dfg, alphabet: &BTreeSet<usize>) -> Option<Vec<BTreeSet<usize>>> {
    let nodes: Vec<usize> = alphabet.iter().copied().collect();
    let reach = reachability(dfg, &nodes);
    let r = |a: usize, b: usize| reach[&a].contains(&b);
    let mut parts = components(&nodes, |a, b| r(a, b) == r(b, a));
    if parts.len() < 2 {
        return None;
    }
    let before = |x: &BTreeSet<usize>, y: &BTreeSet<usize>| {
        x.iter().all(|&a| y.iter().all(|&b| r(a, b) && !r(b, a)))
    };
    // Earlier parts reach more of the rest of the alphabet.
    parts.sort_by_key(|p| {
        std::cmp::Reverse(
            p.iter()
                .flat_map(|a| reach[a].iter())
                .filter(|b| !p.contains(b))
                .collect::<BTreeSet<_>>()
                .len(),
        )
    });
    let ordered =
        (0..parts.len()).all(|i| (i + 1..parts.len()).all(|j| before(&parts[i], &parts[j])));
    ordered.then_some(parts)
}

/// Parallel: parts where every activity of one part follows and precedes every activity of
/// each other part, and each part has a start and an end activity.
pub fn parallel_cut(dfg: &Dfg, alphabet: &BTreeSet<usize>) -> Option<Vec<BTreeSet<usize>>> {
    let nodes: Vec<usize> = alphabet.iter().copied().collect();
    let parts = components(&nodes, |a, b| !(dfg.has(a, b) && dfg.has(b, a)));
    let complete = |p: &BTreeSet<usize>| {
        p.iter().any(|a| dfg.starts.contains_key(a)) && p.iter().any(|a| dfg.ends.contains_key(a))
    };
    let (mut good, bad): (Vec<_>, Vec<_>) = parts.into_iter().partition(complete);
    if let Some(first) = good.first_mut() {
        bad.into_iter().for_each(|p| first.extend(p));
    }
    (good.len() > 1).then_some(good)
}

/// Loop: a `do` part holding all start and end activities, and redo parts entered only from
/// end activities (from all of them) and left only to start activities (to all of them).
pub fn loop_cut(dfg: &Dfg, alphabet: &BTreeSet<usize>) -> Option<Vec<BTreeSet<usize>>> {
    let mut body: BTreeSet<usize> = alphabet
        .iter()
        .copied()
        .filter(|a| dfg.starts.contains_key(a) || dfg.ends.contains_key(a))
        .collect();
    let others: Vec<usize> = alphabet
        .iter()
        .copied()
        .filter(|a| !body.contains(a))
        .collect();
    let starts: Vec<usize> = body
        .iter()
        .copied()
        .filter(|a| dfg.starts.contains_key(a))
        .collect();
    let ends: Vec<usize> = body
        .iter()
        .copied()
        .filter(|a| dfg.ends.contains_key(a))
        .collect();
    let mut redos = Vec::new();
    for part in components(&others, |a, b| dfg.has(a, b) || dfg.has(b, a)) {
        let entered_from_ends_only = dfg
            .edges
            .keys()
            .filter(|(x, c)| part.contains(c) && !part.contains(x))
            .all(|(x, _)| ends.contains(x));
        let left_to_starts_only = dfg
            .edges
            .keys()
            .filter(|(c, y)| part.contains(c) && !part.contains(y))
            .all(|(_, y)| starts.contains(y));
        let every_end_enters = ends.iter().all(|&e| part.iter().any(|&c| dfg.has(e, c)));
        let every_start_reached = starts.iter().all(|&s| part.iter().any(|&c| dfg.has(c, s)));
        if entered_from_ends_only && left_to_starts_only && every_end_enters && every_start_reached
        {
            redos.push(part);
        } else {
            body.extend(part);
        }
    }
    if redos.is_empty() || body.is_empty() {
        return None;
    }
    let mut parts = vec![body];
    parts.extend(redos);
    Some(parts)
}
