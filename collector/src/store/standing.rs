//! Where each instance a writer holds in memory stands, so that the writer lets go of those
//! completed, or idle for longer than [`InstanceRules::evict_after`] before the newest event:
//! what keeps the collector's memory to the instances in flight, whatever the history. Both
//! stores' writers use it; each brings an instance back from its store when a key reappears.

use crate::config::InstanceRules;
use crate::correlate::InstanceId;
use foldhash::fast::RandomState;
use miner::time::Micros;
use std::collections::{HashMap, HashSet};

/// Fewest instances touched between two sweeps for instances to evict: a sweep reads every
/// instance in memory, so it waits for a quarter of them, or this many, to be touched.
const SWEEP_AFTER: usize = 256;

/// The last step of an instance after a batch: where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastStep {
    /// The instance.
    pub instance: InstanceId,
    /// When its last step happened.
    pub at: Micros,
    /// That step's activity.
    pub activity: String,
}

/// Where an instance in memory stands.
#[derive(Debug, Clone, Copy)]
struct Standing {
    /// Its newest event time.
    last_ts: Micros,
    /// Its last activity is an end activity.
    ended: bool,
}

/// The standing of every instance in memory, and the data's clock.
pub struct Standings {
    standing: HashMap<InstanceId, Standing, RandomState>,
    /// The newest event time stored: the data's clock, against which idleness is measured.
    newest: Micros,
    touched_since_sweep: usize,
    evict_after: Micros,
    ends: HashSet<String, RandomState>,
}

impl Standings {
    /// No instance yet; `newest` is the newest event time stored, if any.
    pub fn new(rules: &InstanceRules, newest: Option<Micros>) -> Self {
        Self {
            standing: HashMap::default(),
            newest: newest.unwrap_or(Micros::MIN),
            touched_since_sweep: 0,
            evict_after: rules.evict_after,
            ends: rules.end_activities.iter().cloned().collect(),
        }
    }

    /// Records where `instance` stands: its last step (time, activity), or none (an instance
    /// held by trace ids alone), when it counts as seen now.
    pub fn set(&mut self, instance: InstanceId, last: Option<(Micros, &str)>) {
        let standing = match last {
            Some((last_ts, activity)) => Standing {
                last_ts,
                ended: self.ends.contains(activity),
            },
            None => Standing {
                last_ts: self.newest,
                ended: false,
            },
        };
        self.standing.insert(instance, standing);
    }

    /// Forgets an instance that left memory or was absorbed.
    pub fn forget(&mut self, instance: InstanceId) {
        self.standing.remove(&instance);
    }

    /// Records a stored batch: the instances it touched (`touched`, their last steps in
    /// `last_steps`) and its newest event. Returns the instances to evict, once enough were
    /// touched since the last sweep: completed, or idle past the horizon.
    pub fn record(
        &mut self,
        touched: impl IntoIterator<Item = InstanceId>,
        last_steps: &[LastStep],
        newest: Option<Micros>,
    ) -> Vec<InstanceId> {
        if let Some(newest) = newest {
            self.newest = self.newest.max(newest);
        }
        let last: HashMap<InstanceId, (Micros, &str), RandomState> = last_steps
            .iter()
            .map(|s| (s.instance, (s.at, s.activity.as_str())))
            .collect();
        for instance in touched {
            self.touched_since_sweep += 1;
            self.set(instance, last.get(&instance).copied());
        }
        if self.touched_since_sweep < SWEEP_AFTER.max(self.standing.len() / 4) {
            return Vec::new();
        }
        self.touched_since_sweep = 0;
        let idle_before = self.newest.saturating_sub(self.evict_after);
        self.standing
            .iter()
            .filter(|(_, s)| s.ended || s.last_ts < idle_before)
            .map(|(&i, _)| i)
            .collect()
    }

    /// How many instances are held.
    pub fn len(&self) -> usize {
        self.standing.len()
    }
}
