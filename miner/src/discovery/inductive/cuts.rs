//! Cut detection on the directly-follows graph of a sub-log.
//!
//! Each search runs in time near-linear in the graph's activities and edges (union-find over
//! edges, strongly connected components with bitset reachability between them, complement
//! components by the unvisited-list search), so the Inductive Miner stays fast on logs with
//! thousands of activities, where trying a cut is repeated once per activity.

use super::Log;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeSet;

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

    /// The graph of `log` with activity `gone` projected away, given the traces holding it
    /// (`with_gone`, indices into `log`): what `Dfg::of` gives on that projection, found by
    /// fixing up only the traces that change.
    pub fn without(&self, log: &Log, gone: usize, with_gone: &[usize]) -> Self {
        let mut dfg = self.clone();
        for &i in with_gone {
            let (trace, count) = &log[i];
            let remove = |map: &mut HashMap<(usize, usize), u64>, key| {
                if let Some(c) = map.get_mut(&key) {
                    *c -= count;
                    if *c == 0 {
                        map.remove(&key);
                    }
                }
            };
            for w in trace.windows(2) {
                remove(&mut dfg.edges, (w[0], w[1]));
            }
            let kept: Vec<usize> = trace.iter().copied().filter(|&a| a != gone).collect();
            for w in kept.windows(2) {
                *dfg.edges.entry((w[0], w[1])).or_default() += count;
            }
            for (ends, old, new) in [
                (&mut dfg.starts, trace.first(), kept.first()),
                (&mut dfg.ends, trace.last(), kept.last()),
            ] {
                if old != new {
                    if let Some(&old) = old {
                        if let Some(c) = ends.get_mut(&old) {
                            *c -= count;
                            if *c == 0 {
                                ends.remove(&old);
                            }
                        }
                    }
                    if let Some(&new) = new {
                        *ends.entry(new).or_default() += count;
                    }
                }
            }
        }
        dfg
    }
}

/// A DFG restricted to an alphabet, its activities numbered `0..n`, as the cut searches use it.
pub struct Graph {
    /// The activity of each node.
    nodes: Vec<usize>,
    /// Successors of each node (sorted).
    succ: Vec<Vec<usize>>,
    /// Nodes that are start / end activities.
    starts: Vec<bool>,
    ends: Vec<bool>,
}

impl Graph {
    /// `dfg` over `alphabet`.
    pub fn new(dfg: &Dfg, alphabet: &BTreeSet<usize>) -> Self {
        let nodes: Vec<usize> = alphabet.iter().copied().collect();
        let index: HashMap<usize, usize> = nodes.iter().enumerate().map(|(i, &a)| (a, i)).collect();
        let mut succ = vec![Vec::new(); nodes.len()];
        for &(a, b) in dfg.edges.keys() {
            if let (Some(&i), Some(&j)) = (index.get(&a), index.get(&b)) {
                succ[i].push(j);
            }
        }
        succ.iter_mut().for_each(|s| s.sort_unstable());
        let flag = |set: &HashMap<usize, u64>| nodes.iter().map(|a| set.contains_key(a)).collect();
        Self {
            starts: flag(&dfg.starts),
            ends: flag(&dfg.ends),
            nodes,
            succ,
        }
    }

    fn has(&self, i: usize, j: usize) -> bool {
        self.succ[i].binary_search(&j).is_ok()
    }

    fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Edges as node pairs.
    fn edges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.succ
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.iter().map(move |&j| (i, j)))
    }

    /// Node groups as activity sets.
    fn activities(&self, groups: Vec<Vec<usize>>) -> Vec<BTreeSet<usize>> {
        groups
            .into_iter()
            .map(|g| g.into_iter().map(|i| self.nodes[i]).collect())
            .collect()
    }
}

/// Union-find over `0..n`.
struct Groups(Vec<usize>);

impl Groups {
    fn new(n: usize) -> Self {
        Self((0..n).collect())
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        self.0[a] = b;
    }

    /// The groups, each in ascending order, ordered by their smallest member.
    fn into_groups(mut self) -> Vec<Vec<usize>> {
        let mut index: HashMap<usize, usize> = HashMap::default();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for i in 0..self.0.len() {
            let r = self.root(i);
            let g = *index.entry(r).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(i);
        }
        groups
    }
}

/// A set of `0..n` as bits.
#[derive(Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Self {
        Self(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn has(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }
    fn union(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }
}

/// Exclusive choice: the alphabet falls apart into parts with no edge between them.
pub fn xor_cut(graph: &Graph) -> Option<Vec<BTreeSet<usize>>> {
    let mut groups = Groups::new(graph.len());
    graph.edges().for_each(|(i, j)| groups.join(i, j));
    let parts = groups.into_groups();
    (parts.len() > 1).then(|| graph.activities(parts))
}

/// Reachability through one or more edges, per strongly connected component.
struct Reach {
    /// Nodes of each component.
    members: Vec<Vec<usize>>,
    /// Components each component reaches (itself only when it has a cycle).
    reaches: Vec<Bits>,
}

impl Reach {
    fn of(graph: &Graph) -> Self {
        let mut g = DiGraph::<(), ()>::with_capacity(graph.len(), 0);
        for _ in 0..graph.len() {
            g.add_node(());
        }
        for (i, j) in graph.edges() {
            g.add_edge(NodeIndex::new(i), NodeIndex::new(j), ());
        }
        // Tarjan lists components successors first (reverse topological order).
        let members: Vec<Vec<usize>> = tarjan_scc(&g)
            .into_iter()
            .map(|c| c.into_iter().map(NodeIndex::index).collect())
            .collect();
        let mut component = vec![0; graph.len()];
        for (c, nodes) in members.iter().enumerate() {
            nodes.iter().for_each(|&i| component[i] = c);
        }
        let mut reaches = vec![Bits::new(members.len()); members.len()];
        for c in 0..members.len() {
            let mut reach = Bits::new(members.len());
            for &i in &members[c] {
                for &j in &graph.succ[i] {
                    let d = component[j];
                    reach.set(d);
                    if d != c {
                        reach.union(&reaches[d]);
                    }
                }
            }
            reaches[c] = reach;
        }
        Self { members, reaches }
    }

    /// Whether component `c` reaches component `d`.
    fn components_reach(&self, c: usize, d: usize) -> bool {
        self.reaches[c].has(d)
    }
}

/// Sequence: parts ordered so that everything in an earlier part reaches everything in later
/// ones and nothing leads back. Activities that reach each other, or neither reaches the
/// other, share a part.
pub fn sequence_cut(graph: &Graph) -> Option<Vec<BTreeSet<usize>>> {
    let reach = Reach::of(graph);
    let k = reach.members.len();
    let r = |c: usize, d: usize| reach.components_reach(c, d);
    let mut groups = Groups::new(k);
    for c in 0..k {
        for d in c + 1..k {
            if r(c, d) == r(d, c) {
                groups.join(c, d);
            }
        }
    }
    let mut parts = groups.into_groups();
    if parts.len() < 2 {
        return None;
    }
    let size = |p: &[usize]| p.iter().map(|&c| reach.members[c].len()).sum::<usize>();
    // Earlier parts reach more of the rest of the alphabet.
    let reached_outside = |p: &Vec<usize>| {
        let mut all = Bits::new(k);
        p.iter().for_each(|&c| all.union(&reach.reaches[c]));
        let outside: Vec<usize> = (0..k).filter(|&d| all.has(d) && !p.contains(&d)).collect();
        size(&outside)
    };
    parts.sort_by_cached_key(|p| std::cmp::Reverse(reached_outside(p)));
    let before =
        |x: &[usize], y: &[usize]| x.iter().all(|&c| y.iter().all(|&d| r(c, d) && !r(d, c)));
    let ordered =
        (0..parts.len()).all(|i| (i + 1..parts.len()).all(|j| before(&parts[i], &parts[j])));
    ordered.then(|| {
        graph.activities(
            parts
                .into_iter()
                .map(|p| {
                    p.into_iter()
                        .flat_map(|c| reach.members[c].clone())
                        .collect()
                })
                .collect(),
        )
    })
}

/// Parallel: parts where every activity of one part follows and precedes every activity of
/// each other part, and each part has a start and an end activity. The parts are the
/// components of the graph joining activities that are *not* in both orders, found by a search
/// that visits each edge once.
pub fn parallel_cut(graph: &Graph) -> Option<Vec<BTreeSet<usize>>> {
    let n = graph.len();
    let mutual: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            graph.succ[i]
                .iter()
                .copied()
                .filter(|&j| graph.has(j, i))
                .collect()
        })
        .collect();
    let mut unvisited: Vec<usize> = (0..n).collect();
    let mut parts: Vec<Vec<usize>> = Vec::new();
    while let Some(first) = unvisited.first().copied() {
        unvisited.remove(0);
        let mut part = vec![first];
        let mut queue = vec![first];
        while let Some(i) = queue.pop() {
            // Every unvisited node not in both orders with `i` joins its part.
            let (join, stay): (Vec<usize>, Vec<usize>) = unvisited
                .iter()
                .partition(|j| mutual[i].binary_search(j).is_err());
            unvisited = stay;
            queue.extend(&join);
            part.extend(join);
        }
        part.sort_unstable();
        parts.push(part);
    }
    parts.sort_unstable();
    let complete =
        |p: &Vec<usize>| p.iter().any(|&i| graph.starts[i]) && p.iter().any(|&i| graph.ends[i]);
    let (mut good, bad): (Vec<_>, Vec<_>) = parts.into_iter().partition(complete);
    if let Some(first) = good.first_mut() {
        bad.into_iter().for_each(|p| first.extend(p));
    }
    (good.len() > 1).then(|| graph.activities(good))
}

/// Loop: a `do` part holding all start and end activities, and redo parts entered only from
/// end activities (from all of them) and left only to start activities (to all of them).
pub fn loop_cut(graph: &Graph) -> Option<Vec<BTreeSet<usize>>> {
    let n = graph.len();
    let in_body: Vec<bool> = (0..n).map(|i| graph.starts[i] || graph.ends[i]).collect();
    let mut groups = Groups::new(n);
    for (i, j) in graph.edges() {
        if !in_body[i] && !in_body[j] {
            groups.join(i, j);
        }
    }
    let candidates: Vec<Vec<usize>> = groups
        .into_groups()
        .into_iter()
        .filter(|g| !in_body[g[0]])
        .collect();
    let mut part_of = vec![usize::MAX; n];
    for (p, g) in candidates.iter().enumerate() {
        g.iter().for_each(|&i| part_of[i] = p);
    }
    let (starts, ends) = (
        graph.starts.iter().filter(|&&s| s).count(),
        graph.ends.iter().filter(|&&e| e).count(),
    );
    // Per candidate: whether it is entered or left other than a redo is, and which ends enter
    // it and which starts it reaches.
    let mut fits = vec![true; candidates.len()];
    let mut entering: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); candidates.len()];
    let mut reached: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); candidates.len()];
    for (i, j) in graph.edges() {
        let (p, q) = (part_of[i], part_of[j]);
        if p == q {
            continue;
        }
        if q != usize::MAX {
            if graph.ends[i] && in_body[i] {
                entering[q].insert(i);
            } else {
                fits[q] = false;
            }
        }
        if p != usize::MAX {
            if graph.starts[j] && in_body[j] {
                reached[p].insert(j);
            } else {
                fits[p] = false;
            }
        }
    }
    let mut body: Vec<usize> = (0..n).filter(|&i| in_body[i]).collect();
    let mut redos = Vec::new();
    for (p, part) in candidates.into_iter().enumerate() {
        if fits[p] && entering[p].len() == ends && reached[p].len() == starts {
            redos.push(part);
        } else {
            body.extend(part);
        }
    }
    if redos.is_empty() || body.is_empty() {
        return None;
    }
    body.sort_unstable();
    let mut parts = vec![body];
    parts.extend(redos);
    Some(graph.activities(parts))
}
