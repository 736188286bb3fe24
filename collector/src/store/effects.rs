//! What correlating one batch changed, shared by the store implementations: which instances
//! were created, merged and touched, and which keys are new, so a store writes each change once
//! at the end of the batch.

use crate::config::InstanceRules;
use crate::correlate::{Assignment, Correlator, InstanceId, Merge};
use crate::mapping::TRACE_KEY;
use crate::store::KeyLink;
use foldhash::fast::RandomState;
use miner::log::{BusinessKey, Event};
use std::collections::{BTreeSet, HashMap, HashSet};

/// How the label of an instance with only trace keys begins: such an instance is not summarised
/// (it is uncorrelated until a business key joins it).
pub const TRACE_LABEL: &str = "trace=";

/// The changes of one batch. Instances created and absorbed within the batch never reach the
/// database: their keys and events are written straight to the instance they ended in, and only
/// instances stored before the batch have rows to move.
#[derive(Debug, Default)]
pub struct Effects {
    /// Instances created by this batch.
    pub created: HashSet<InstanceId, RandomState>,
    absorbed_into: HashMap<InstanceId, InstanceId, RandomState>,
    /// Merges in the order they happened, with what caused each.
    pub merges: Vec<(Merge, String)>,
    /// Keys seen for the first time, with the instance they joined.
    pub new_keys: Vec<(BusinessKey, InstanceId)>,
    touched: Vec<InstanceId>,
}

impl Effects {
    /// Records one assignment, made for the event (or relation) described by `by`.
    pub fn add(&mut self, assignment: Assignment, by: &str) {
        let Some(instance) = assignment.instance else {
            return;
        };
        if assignment.created {
            self.created.insert(instance);
        }
        for merge in assignment.merges {
            self.absorbed_into.insert(merge.absorbed, merge.survivor);
            self.merges.push((merge, by.to_string()));
        }
        self.new_keys
            .extend(assignment.new_keys.into_iter().map(|k| (k, instance)));
        self.touched.push(instance);
    }

    /// The instance `instance` ended in after every merge of the batch.
    pub fn root(&self, mut instance: InstanceId) -> InstanceId {
        while let Some(&survivor) = self.absorbed_into.get(&instance) {
            instance = survivor;
        }
        instance
    }

    /// The instances stored before the batch that it merged into others: their rows move
    /// (in the ClickHouse store, whose rows are keyed by instance).
    #[cfg(feature = "clickhouse")]
    pub fn absorbed_stored(&self) -> Vec<InstanceId> {
        self.merges
            .iter()
            .map(|(m, _)| m.absorbed)
            .filter(|a| !self.created.contains(a))
            .collect()
    }

    /// The instances that absorbed instances stored before the batch: their steps must be read
    /// back from the store (an instance created and absorbed within the batch adds nothing
    /// but the batch's own events, which its survivor has).
    pub fn absorbing(&self) -> HashSet<InstanceId, RandomState> {
        self.merges
            .iter()
            .filter(|(m, _)| !self.created.contains(&m.absorbed))
            .map(|(m, _)| self.root(m.survivor))
            .collect()
    }

    /// The instances whose summaries the batch changed, as they are after it.
    pub fn touched_roots(&self) -> BTreeSet<InstanceId> {
        self.touched.iter().map(|&i| self.root(i)).collect()
    }
}

/// A batch of events after correlation.
#[derive(Debug)]
pub struct Correlated<'e> {
    /// What correlating the batch changed.
    pub effects: Effects,
    /// The events to store, each with the instance it was assigned (before the batch's later
    /// merges: map through [`Effects::root`]).
    pub fresh: Vec<(&'e Event, Option<InstanceId>)>,
    /// Events skipped: repeated within the batch or stored already.
    pub duplicates: u64,
}

/// Correlates the events of a batch in order, skipping repeats within it and those for which
/// `is_stored` says yes.
pub fn correlate<'e, E>(
    correlator: &mut Correlator,
    events: &'e [Event],
    mut is_stored: impl FnMut(&Event) -> Result<bool, E>,
) -> Result<Correlated<'e>, E> {
    let mut seen: HashSet<&str, RandomState> =
        HashSet::with_capacity_and_hasher(events.len(), RandomState::default());
    let mut batch = Correlated {
        effects: Effects::default(),
        fresh: Vec::with_capacity(events.len()),
        duplicates: 0,
    };
    for event in events {
        if !seen.insert(event.id.as_str()) || is_stored(event)? {
            batch.duplicates += 1;
            continue;
        }
        let assignment = correlator.assign(&event.keys);
        batch.fresh.push((event, assignment.instance));
        batch.effects.add(assignment, &event.id);
    }
    Ok(batch)
}

/// Correlates relations between keys, in order.
pub fn correlate_links(correlator: &mut Correlator, links: &[KeyLink]) -> Effects {
    let mut effects = Effects::default();
    for link in links {
        let (a, b) = (&link.from, &link.to);
        let assignment = correlator.assign(&[a.clone(), b.clone()]);
        effects.add(assignment, &format!("relation {a} → {b}"));
    }
    effects
}

/// The instance's preferred key: by the configured kind order, trace ids last.
pub fn label_of(correlator: &Correlator, rules: &InstanceRules, instance: InstanceId) -> String {
    let rank = |k: &BusinessKey| {
        let configured = rules.label_kinds.iter().position(|kind| *kind == k.kind);
        (k.kind == TRACE_KEY, configured.unwrap_or(usize::MAX))
    };
    correlator
        .keys_of(instance)
        .enumerate()
        .min_by_key(|(i, k)| (rank(k), *i))
        .map(|(_, k)| k.to_string())
        .unwrap_or_default()
}

/// Whether a label belongs to an instance that is summarised (held together by a business key).
pub fn is_business_label(label: &str) -> bool {
    !label.is_empty() && !label.starts_with(TRACE_LABEL)
}
