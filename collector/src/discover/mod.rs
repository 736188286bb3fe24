//! Key discovery: correlation rules proposed from the messages themselves, so that pointing
//! Flowsight at a topic gives a map without writing `flowsight.toml` first.
//!
//! From a sample of messages it finds the envelope (event type, time, event id, service,
//! trace and span ids), the identifier-like fields (by the shape of their values, never
//! times, amounts, names or enumerations), and which fields of which event types share
//! values. Each family of such fields is a proposed key kind, applied or rejected with its
//! reason: one linking a single event type, one whose value joins too many events (a tenant),
//! one joining instances the stronger keys keep apart (a customer). The evidence (coverage,
//! resulting instances, uncorrelated events, samples) comes with every proposal.

mod config_text;
mod envelope;
mod families;
mod fields;
mod judge;
mod naming;
mod outcome;
mod preview;
mod proposal;
mod shape;
mod stored;
#[cfg(test)]
mod tests;

pub use config_text::span_key_rules;
pub use envelope::{Chosen, Envelope};
pub use fields::EVERY_ELEMENT;
pub use preview::{changes, preview, Preview};
pub use proposal::{Discovery, EndActivity, Judged, KeyField, KeyProposal, Outcome};
pub use stored::{stored_sample, StoredSample};

use crate::{CollectorConfig, CollectorError};
use serde_json::Value;
use std::io::BufRead;

/// How discovery judges keys.
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    /// A key whose one value joins more than this share of all sampled events (a tenant id, a
    /// constant) is rejected.
    pub max_key_share: f64,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        Self { max_key_share: 0.2 }
    }
}

/// Discovers correlation rules from `messages`.
pub fn discover(
    messages: &[Value],
    options: &DiscoverOptions,
) -> Result<Discovery, CollectorError> {
    let sample = fields::Sample::of(messages);
    if sample.messages.len() == sample.not_objects {
        return Err(CollectorError::Discovery(
            "no JSON object among the sampled messages".into(),
        ));
    }
    let envelope = envelope::envelope_of(&sample).map_err(|missing| {
        CollectorError::Discovery(match missing {
            envelope::Missing::Activity(why) | envelope::Missing::Time(why) => why,
        })
    })?;
    let families = families::families_of(&sample, &envelope);
    let (keys, mut linked) = judge::judge(&sample, &families, options);
    let link_traces = envelope
        .trace_id
        .as_ref()
        .and_then(|t| sample.field(&t.pointer))
        .map(|field| judge::judge_traces(&sample, field, &mut linked, options));
    let time_field = sample.field(&envelope.time.pointer);
    let (outcome, end_activities) = outcome::outcome_of(&sample, &families, time_field, &linked);
    let causation = families
        .causation
        .iter()
        .map(|&n| {
            let node = &families.nodes[n as usize];
            KeyField {
                pointer: sample.fields[node.field as usize].pointer.clone(),
                types: vec![families.types[node.kind as usize].clone()],
            }
        })
        .fold(Vec::<KeyField>::new(), |mut all, field| {
            match all.iter_mut().find(|f| f.pointer == field.pointer) {
                Some(known) => known.types.extend(field.types),
                None => all.push(field),
            }
            all
        });
    Ok(Discovery {
        messages: sample.messages.len(),
        not_objects: sample.not_objects,
        envelope,
        keys,
        causation,
        link_traces,
        end_activities,
        outcome,
    })
}

impl Discovery {
    /// The discovered rules as commented configuration text, and as the configuration it
    /// reads as; `origin` names the sample (`the first 1000 messages of orders`).
    pub fn config(&self, origin: &str) -> Result<(String, CollectorConfig), CollectorError> {
        let text = config_text::config_text(self, origin);
        let config = CollectorConfig::parse(&text).map_err(|message| CollectorError::Config {
            path: "the discovered rules".into(),
            message,
        })?;
        Ok((text, config))
    }
}

/// Reads up to `limit` messages of a JSON-lines stream (blank lines skipped; a line that is
/// not JSON is kept as text, so it counts as a message that is not an object).
pub fn read_sample(reader: impl BufRead, limit: usize) -> Result<Vec<Value>, std::io::Error> {
    let mut messages = Vec::new();
    for line in reader.lines() {
        if messages.len() >= limit {
            break;
        }
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        messages.push(serde_json::from_str(&line).unwrap_or(Value::String(line)));
    }
    Ok(messages)
}
