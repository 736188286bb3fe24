//! What discovery proposes, with the evidence for each proposal: what `flowsight discover`
//! prints, the Discover page shows and a zero-config source applies.

use super::envelope::Envelope;
use serde::{Deserialize, Serialize};

/// The rules discovered from a sample of messages.
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    /// Messages sampled.
    pub messages: usize,
    /// Messages that were not JSON objects (left out).
    pub not_objects: usize,
    /// The envelope fields.
    pub envelope: Envelope,
    /// Every family of identifier fields found: applied keys first, then the rejected ones
    /// with their reason (the closest candidates when no key is found).
    pub keys: Vec<KeyProposal>,
    /// Fields that refer to other events' ids (causation links), which are not keys.
    pub causation: Vec<KeyField>,
    /// Whether a shared trace id links events into one instance, and why.
    pub link_traces: Option<Judged>,
    /// Event types that end instances and are never followed.
    pub end_activities: Vec<EndActivity>,
    /// What the applied rules make of the sample.
    pub outcome: Outcome,
}

/// A proposed key kind: a family of fields that share values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyProposal {
    /// The kind's name, from the fields' names (`orderId` → `order`).
    pub kind: String,
    /// Where the values are.
    pub fields: Vec<KeyField>,
    /// Share of sampled events holding a value of this kind.
    pub event_share: f64,
    /// Event types holding it.
    pub types: Vec<String>,
    /// Share of all event types holding it.
    pub type_share: f64,
    /// Distinct values in the sample.
    pub values: usize,
    /// A few of the values.
    pub samples: Vec<String>,
    /// Applied, or rejected and why.
    pub verdict: Judged,
}

impl KeyProposal {
    /// Whether the key is applied.
    pub fn applied(&self) -> bool {
        self.verdict.applied
    }
}

/// A pointer holding a key, on some event types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyField {
    /// The JSON pointer (`*` for every element of an array).
    pub pointer: String,
    /// The event types it holds this key on; empty when it does on every type that has it.
    pub types: Vec<String>,
}

/// A verdict with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judged {
    /// Whether the proposal is applied.
    pub applied: bool,
    /// Why, in words.
    pub reason: String,
}

/// An event type that ends instances.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndActivity {
    /// The type.
    pub activity: String,
    /// Instances of the sample it ends.
    pub ends: usize,
}

/// What the applied rules make of the sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome {
    /// Process instances formed.
    pub instances: usize,
    /// Events in an instance.
    pub correlated_events: usize,
    /// Events with no key: in no instance.
    pub uncorrelated_events: usize,
}

impl Discovery {
    /// The applied key kinds.
    pub fn applied_keys(&self) -> impl Iterator<Item = &KeyProposal> {
        self.keys.iter().filter(|k| k.applied())
    }

    /// Whether any business key was found: without one, events of an instance never meet.
    pub fn found_a_key(&self) -> bool {
        self.applied_keys().next().is_some()
    }

    /// A one-paragraph account for a log or a terminal.
    pub fn summary(&self) -> String {
        let keys: Vec<String> = self
            .applied_keys()
            .map(|k| {
                let pointers: Vec<&str> = k.fields.iter().map(|f| f.pointer.as_str()).collect();
                format!("{} ({})", k.kind, pointers.join(", "))
            })
            .collect();
        let keys = if keys.is_empty() {
            "no business key found".to_string()
        } else {
            format!("keys {}", keys.join("; "))
        };
        format!(
            "activity {}, time {}, {keys}{}: {} instances, {} of {} events uncorrelated",
            self.envelope.activity.pointer,
            self.envelope.time.pointer,
            match &self.link_traces {
                Some(t) if t.applied => ", traces linked",
                _ => "",
            },
            self.outcome.instances,
            self.outcome.uncorrelated_events,
            self.messages - self.not_objects,
        )
    }
}
