//! Optimal alignments of a trace with a Petri net: the fewest deviations (an event the model
//! cannot do there, or a task the model needs that did not happen; each costs 1, silent steps
//! are free) that explain the trace as a run of the model from its initial to its final
//! marking. An A* search over (marking, position in the trace), bounded in states.

use super::petri::PetriNet;
use rustc_hash::FxHashMap as HashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One step of an alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// The event and the model agree (transition index).
    Sync(u32),
    /// The model did a task the trace does not have (transition index): a skipped task.
    Model(u32),
    /// The model took a silent step (transition index).
    Silent(u32),
    /// The trace has an event the model cannot do here (position in the trace).
    Log(u32),
}

/// An optimal alignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alignment {
    /// Its deviations: log moves plus visible model moves.
    pub cost: u32,
    /// Its moves in order.
    pub moves: Vec<Move>,
    /// The marking it ends in (the final one, for a finished trace).
    end: u32,
}

/// A net ready for aligning traces of activities numbered by a log's interner.
pub struct Aligner<'n> {
    net: &'n PetriNet,
    /// Each transition's activity number (`None`: silent).
    labels: Vec<Option<u32>>,
    /// For each activity number, whether some transition records it.
    modelled: Vec<bool>,
    /// Per place: the activities a token there may still lead to (a bitset), ignoring what
    /// other places must hold: what a marking can still do is at most the union of its places'.
    reachable: Vec<Vec<u64>>,
    /// Per marking: the union of its places' `reachable` (computed when first needed).
    can_still: Vec<Option<Vec<u64>>>,
    markings: HashMap<Box<[u8]>, u32>,
    by_id: Vec<Box<[u8]>>,
    /// Per marking: where its enabled transitions (and the markings they lead to) sit in
    /// `arena`, once computed; `None` also for a marking that would overflow a place.
    successors: Vec<Option<std::ops::Range<u32>>>,
    arena: Vec<(u32, u32)>,
    final_marking: u32,
    initial_marking: u32,
}

/// Most states one alignment may visit before it is given up as not computed.
pub const DEFAULT_STATE_BUDGET: usize = 2_000_000;

impl<'n> Aligner<'n> {
    /// Prepares `net`; `activity` numbers a task label as the log numbers its activities
    /// (`None` for a label no event has).
    pub fn new(
        net: &'n PetriNet,
        mut activity: impl FnMut(&str) -> Option<u32>,
        activities: usize,
    ) -> Self {
        let mut unknown = activities as u32;
        let labels: Vec<Option<u32>> = net
            .transitions
            .iter()
            .map(|t| {
                t.label.as_deref().map(|l| {
                    activity(l).unwrap_or_else(|| {
                        unknown += 1;
                        unknown - 1
                    })
                })
            })
            .collect();
        let mut modelled = vec![false; unknown as usize];
        for &l in labels.iter().flatten() {
            modelled[l as usize] = true;
        }
        let reachable = reachable_activities(net, &labels, unknown as usize);
        let mut aligner = Self {
            net,
            labels,
            modelled,
            reachable,
            can_still: Vec::new(),
            markings: HashMap::default(),
            by_id: Vec::new(),
            successors: Vec::new(),
            arena: Vec::new(),
            final_marking: 0,
            initial_marking: 0,
        };
        let mut initial = vec![0u8; net.places];
        initial[net.source] += 1;
        aligner.initial_marking = aligner.intern(initial.into_boxed_slice());
        let mut last = vec![0u8; net.places];
        last[net.sink] += 1;
        aligner.final_marking = aligner.intern(last.into_boxed_slice());
        aligner
    }

    /// Whether some task of the model records `activity`.
    pub fn models(&self, activity: u32) -> bool {
        self.modelled
            .get(activity as usize)
            .copied()
            .unwrap_or(false)
    }

    /// The activity number of transition `t` (`None`: silent).
    pub fn label(&self, t: u32) -> Option<u32> {
        self.labels[t as usize]
    }

    fn intern(&mut self, marking: Box<[u8]>) -> u32 {
        if let Some(&id) = self.markings.get(&marking) {
            return id;
        }
        let id = self.by_id.len() as u32;
        self.by_id.push(marking.clone());
        self.markings.insert(marking, id);
        self.successors.push(None);
        self.can_still.push(None);
        id
    }

    /// The activities marking `m` may still lead to.
    fn can_still(&mut self, m: u32) -> &[u64] {
        if self.can_still[m as usize].is_none() {
            let words = self.reachable.first().map_or(0, Vec::len);
            let mut union = vec![0u64; words];
            for (p, &tokens) in self.by_id[m as usize].iter().enumerate() {
                if tokens > 0 {
                    for (u, r) in union.iter_mut().zip(&self.reachable[p]) {
                        *u |= r;
                    }
                }
            }
            self.can_still[m as usize] = Some(union);
        }
        self.can_still[m as usize].as_deref().unwrap_or_default()
    }

    /// For `trace` and each marking met: per position, how many events from there on the
    /// marking can no longer lead to (each must be a log move: a bound that never
    /// overestimates, and never drops by more than a move costs).
    fn bound(
        &mut self,
        trace: &[u32],
        m: u32,
        pos: u32,
        cache: &mut HashMap<u32, Vec<u32>>,
    ) -> u32 {
        if let Some(suffix) = cache.get(&m) {
            return suffix[pos as usize];
        }
        let can = self.can_still(m).to_vec();
        let mut suffix = vec![0u32; trace.len() + 1];
        for i in (0..trace.len()).rev() {
            let a = trace[i] as usize;
            let possible = can.get(a / 64).is_some_and(|w| w & (1 << (a % 64)) != 0);
            suffix[i] = suffix[i + 1] + u32::from(!possible);
        }
        let h = suffix[pos as usize];
        cache.insert(m, suffix);
        h
    }

    /// Where the transitions marking `m` enables, with the markings they lead to, sit in the
    /// arena; `None` when a place would hold more tokens than a byte counts (an unbounded
    /// model).
    fn successors(&mut self, m: u32) -> Option<std::ops::Range<u32>> {
        if let Some(known) = &self.successors[m as usize] {
            return Some(known.clone());
        }
        let mut found = Vec::new();
        for (t, transition) in self.net.transitions.iter().enumerate() {
            let marking = &self.by_id[m as usize];
            if transition.consumes.iter().all(|&p| marking[p] > 0) {
                let mut next = marking.clone();
                for &p in &transition.consumes {
                    next[p] -= 1;
                }
                for &p in &transition.produces {
                    next[p] = next[p].checked_add(1)?;
                }
                let id = self.intern(next);
                found.push((t as u32, id));
            }
        }
        let range = self.arena.len() as u32..(self.arena.len() + found.len()) as u32;
        self.arena.extend(found);
        self.successors[m as usize] = Some(range.clone());
        Some(range)
    }

    /// An optimal alignment of `trace` (activity numbers), or `None` when more than `budget`
    /// states were needed or the model is unbounded.
    pub fn align(&mut self, trace: &[u32], budget: usize) -> Option<Alignment> {
        self.search(trace, budget, true)
    }

    /// An optimal alignment of `trace` as the start of a run that has not finished: it may
    /// end in any marking (what a running instance has done so far, against the model).
    pub fn align_prefix(&mut self, trace: &[u32], budget: usize) -> Option<Alignment> {
        self.search(trace, budget, false)
    }

    /// The tasks (transition indexes) `alignment`'s end marking enables, after any silent
    /// steps: where a running instance waits.
    pub fn next_tasks(&mut self, alignment: &Alignment) -> Vec<u32> {
        let mut seen = vec![alignment.end];
        let mut stack = vec![alignment.end];
        let mut tasks = Vec::new();
        while let Some(m) = stack.pop() {
            for i in self.successors(m).unwrap_or_default() {
                let (t, next) = self.arena[i as usize];
                match self.labels[t as usize] {
                    Some(_) if !tasks.contains(&t) => tasks.push(t),
                    Some(_) => {}
                    None if !seen.contains(&next) => {
                        seen.push(next);
                        stack.push(next);
                    }
                    None => {}
                }
            }
        }
        tasks
    }

    fn search(&mut self, trace: &[u32], budget: usize, finished: bool) -> Option<Alignment> {
        let n = trace.len() as u32;
        let mut bounds: HashMap<u32, Vec<u32>> = HashMap::default();
        let key = |m: u32, pos: u32| (u64::from(m) << 32) | u64::from(pos);
        // Per state reached: its cost, and how it was reached (parent state, move).
        let mut reached: HashMap<u64, (u32, u64, Move)> = HashMap::default();
        let mut queue: BinaryHeap<(Reverse<u32>, u32, Reverse<u32>, u64)> = BinaryHeap::new();
        let start = key(self.initial_marking, 0);
        reached.insert(start, (0, u64::MAX, Move::Silent(u32::MAX)));
        let h0 = self.bound(trace, self.initial_marking, 0, &mut bounds);
        queue.push((Reverse(h0), 0, Reverse(0), start));
        let mut expanded = 0usize;
        // The moves out of the state being expanded (one buffer for the whole search).
        let mut moves: Vec<(u32, u32, u32, Move)> = Vec::new();
        while let Some((_, pos, Reverse(g), state)) = queue.pop() {
            if reached.get(&state).is_some_and(|r| r.0 < g) {
                continue;
            }
            let marking = (state >> 32) as u32;
            if pos == n && (!finished || marking == self.final_marking) {
                return Some(Alignment {
                    cost: g,
                    moves: moves_to(state, &reached),
                    end: marking,
                });
            }
            expanded += 1;
            if expanded > budget {
                return None;
            }
            moves.clear();
            if pos < n {
                moves.push((marking, pos + 1, g + 1, Move::Log(pos)));
            }
            for i in self.successors(marking)? {
                let (t, next) = self.arena[i as usize];
                match self.labels[t as usize] {
                    None => moves.push((next, pos, g, Move::Silent(t))),
                    Some(label) => {
                        if pos < n && trace[pos as usize] == label {
                            moves.push((next, pos + 1, g, Move::Sync(t)));
                        }
                        moves.push((next, pos, g + 1, Move::Model(t)));
                    }
                }
            }
            for &(m, p, cost, mv) in &moves {
                let next = key(m, p);
                if reached.get(&next).is_none_or(|r| cost < r.0) {
                    let h = self.bound(trace, m, p, &mut bounds);
                    reached.insert(next, (cost, state, mv));
                    queue.push((Reverse(cost + h), p, Reverse(cost), next));
                }
            }
        }
        None
    }
}

/// The moves from the start to `state`, following the recorded parents.
fn moves_to(mut state: u64, reached: &HashMap<u64, (u32, u64, Move)>) -> Vec<Move> {
    let mut moves = Vec::new();
    while let Some(&(_, parent, mv)) = reached.get(&state) {
        if parent == u64::MAX {
            break;
        }
        moves.push(mv);
        state = parent;
    }
    moves.reverse();
    moves
}

/// Per place, the activities reachable from it in the net's graph (place → consuming
/// transition → produced place), as bitsets over activity numbers.
fn reachable_activities(
    net: &PetriNet,
    labels: &[Option<u32>],
    activities: usize,
) -> Vec<Vec<u64>> {
    let words = activities.div_ceil(64).max(1);
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); net.places];
    for (t, transition) in net.transitions.iter().enumerate() {
        for &p in &transition.consumes {
            consumers[p].push(t);
        }
    }
    (0..net.places)
        .map(|start| {
            let mut bits = vec![0u64; words];
            let mut seen = vec![false; net.places];
            let mut stack = vec![start];
            seen[start] = true;
            while let Some(p) = stack.pop() {
                for &t in &consumers[p] {
                    if let Some(a) = labels[t] {
                        bits[a as usize / 64] |= 1 << (a % 64);
                    }
                    for &q in &net.transitions[t].produces {
                        if !seen[q] {
                            seen[q] = true;
                            stack.push(q);
                        }
                    }
                }
            }
            bits
        })
        .collect()
}
