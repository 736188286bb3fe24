//! What rules make of a sample before they apply: the user's accepted, renamed and dropped
//! keys, and the instances the resulting rules form over the sampled messages.

use super::proposal::{Discovery, Judged};
use crate::correlate::{Correlator, InstanceId};
use crate::mapping::{map_event, MappingConfig};
use miner::log::Event;
use serde_json::Value;
use std::collections::BTreeMap;

/// The instances a mapping forms over a sample.
#[derive(Debug, Default)]
pub struct Preview {
    /// Each instance's events in time order.
    pub instances: Vec<Vec<Event>>,
    /// Events with no key.
    pub uncorrelated: usize,
    /// Events with no key, by event type.
    pub uncorrelated_types: BTreeMap<String, usize>,
    /// Messages the mapping could not read (no type or time where it looks).
    pub unmapped: usize,
}

/// Maps every message of `messages` with `mapping` and correlates the events as the collector
/// does.
pub fn preview(mapping: &MappingConfig, messages: &[Value]) -> Preview {
    let mut result = Preview::default();
    let mut events: Vec<Event> = Vec::new();
    for message in messages {
        let raw = message.to_string();
        match map_event(mapping, message.clone(), raw.as_bytes(), "sample") {
            Ok(event) if event.keys.is_empty() => {
                result.uncorrelated += 1;
                *result.uncorrelated_types.entry(event.activity).or_default() += 1;
            }
            Ok(event) => events.push(event),
            Err(_) => result.unmapped += 1,
        }
    }
    // The collector's own correlation: a key value joins events, an event with several keys
    // merges their instances; after every event, each key names its final instance.
    let mut correlator = Correlator::new();
    for event in &events {
        correlator.assign(&event.keys);
    }
    let mut groups: BTreeMap<InstanceId, Vec<Event>> = BTreeMap::new();
    for event in events {
        if let Some(instance) = correlator.instance_of(&event.keys[0]) {
            groups.entry(instance).or_default().push(event);
        }
    }
    result.instances = groups
        .into_values()
        .map(|mut steps| {
            steps.sort_by_key(|e| e.timestamp);
            steps
        })
        .collect();
    result
}

/// What a re-discovery proposes to change in the rules in force (`in_force`), in words: keys
/// it applies at pointers no rule names, and event types whose sampled events the rules in
/// force leave in no instance. The rules never change by themselves: the user decides.
pub fn changes(discovery: &Discovery, in_force: &MappingConfig, messages: &[Value]) -> Vec<String> {
    let named: Vec<&str> = in_force
        .keys
        .iter()
        .flat_map(|rule| rule.pointers.iter().map(String::as_str))
        .collect();
    let mut changes: Vec<String> = discovery
        .applied_keys()
        .filter_map(|key| {
            let new: Vec<&str> = key
                .fields
                .iter()
                .map(|f| f.pointer.as_str())
                .filter(|p| !named.contains(p))
                .collect();
            (!new.is_empty()).then(|| {
                format!(
                    "a key {} at {} ({:.0}% of the sampled events) that no rule in force names",
                    key.kind,
                    new.join(", "),
                    key.event_share * 100.0
                )
            })
        })
        .collect();
    let alone = preview(in_force, messages).uncorrelated_types;
    changes.extend(alone.into_iter().map(|(activity, events)| {
        format!("event type {activity}: {events} sampled events in no instance under the rules in force")
    }));
    changes
}

impl Discovery {
    /// Applies a user's decisions: the keys of `applied` (by their index in
    /// [`Discovery::keys`]) are applied under the name given, every other one is dropped, and
    /// traces are linked or not. A name must be a word (letters, digits, `_`, `-`, `.`) used
    /// once, and not `trace`.
    pub fn decide(
        &mut self,
        applied: &BTreeMap<usize, String>,
        link_traces: bool,
    ) -> Result<(), String> {
        let mut names: Vec<&str> = Vec::new();
        for (&index, name) in applied {
            if index >= self.keys.len() {
                return Err(format!("there is no proposed key number {index}"));
            }
            let word = |c: char| c.is_ascii_alphanumeric() || "_-.".contains(c);
            if name.is_empty() || !name.chars().all(word) || name == crate::mapping::TRACE_KEY {
                return Err(format!(
                    "{name:?} is not a key name: use letters, digits, '_', '-' or '.', and not \"trace\""
                ));
            }
            if names.contains(&name.as_str()) {
                return Err(format!("two keys are named {name:?}"));
            }
            names.push(name);
        }
        for (index, key) in self.keys.iter_mut().enumerate() {
            let decision = applied.get(&index);
            if decision.is_some() != key.applied() {
                key.verdict = Judged {
                    applied: decision.is_some(),
                    reason: if decision.is_some() {
                        format!("applied by hand ({})", key.verdict.reason)
                    } else {
                        "dropped by hand".into()
                    },
                };
            }
            if let Some(name) = decision {
                key.kind.clone_from(name);
            }
        }
        if let Some(traces) = &mut self.link_traces {
            if traces.applied != link_traces {
                traces.applied = link_traces;
                traces.reason = format!("set by hand ({})", traces.reason);
            }
        }
        self.keys.sort_by_key(|k| !k.applied());
        Ok(())
    }
}
