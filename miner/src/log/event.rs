//! One business event, as every source delivers it after mapping.

use crate::time::Micros;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A business key an event carries, such as `order=4711` or `payment=p-9`.
///
/// Keys are how events are correlated into process instances: two events that share a key
/// value belong together, and an event carrying two keys links them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BusinessKey {
    /// The key type, e.g. `order`.
    pub kind: String,
    /// The key value, e.g. `4711`.
    pub value: String,
}

impl Event {
    /// An event `id` of `activity` at `timestamp` carrying `keys` (kind, value), from no named
    /// source, outside any trace and without attributes: the smallest event, as tests build them.
    pub fn keyed(id: &str, activity: &str, timestamp: Micros, keys: &[(&str, &str)]) -> Self {
        Self {
            id: id.into(),
            activity: activity.into(),
            timestamp,
            source: String::new(),
            keys: keys.iter().map(|(k, v)| BusinessKey::new(*k, *v)).collect(),
            trace_id: None,
            span_id: None,
            attributes: Map::new(),
        }
    }

    /// Whether it was made from a trace span (an OTLP span, not a message inside a trace).
    pub fn is_span(&self) -> bool {
        self.span_id.is_some() && self.id.starts_with(SPAN_PREFIX)
    }

    /// The parent span's id, for a span that has one (see [`SPAN_PARENT_ATTRIBUTE`]).
    pub fn span_parent(&self) -> Option<&str> {
        self.attributes
            .get(SPAN_PARENT_ATTRIBUTE)
            .and_then(Value::as_str)
    }

    /// A span's status, `ok`, `error` or `unset` (see [`SPAN_STATUS_ATTRIBUTE`]).
    pub fn span_status(&self) -> Option<&str> {
        self.attributes
            .get(SPAN_STATUS_ATTRIBUTE)
            .and_then(Value::as_str)
    }

    /// When the step ended, for steps that last (see [`END_ATTRIBUTE`]).
    pub fn end(&self) -> Option<Micros> {
        self.attributes.get(END_ATTRIBUTE).and_then(Value::as_i64)
    }

    /// Whether it was read from an XES log (it carries [`XES_TYPES_ATTRIBUTE`]).
    pub fn is_from_xes(&self) -> bool {
        self.attributes.contains_key(XES_TYPES_ATTRIBUTE)
    }

    /// The XES type record kept for attribute `key` (`"date"`, `"id"`, or for lists and
    /// containers their items' keys and records), if one was.
    pub fn xes_type(&self, key: &str) -> Option<&Value> {
        self.attributes
            .get(XES_TYPES_ATTRIBUTE)
            .and_then(|types| types.get(key))
    }

    /// The XES lifecycle transition it records (`start`, `complete`, ...), if any (see
    /// [`LIFECYCLE_ATTRIBUTE`]).
    pub fn transition(&self) -> Option<&str> {
        self.attributes
            .get(LIFECYCLE_ATTRIBUTE)
            .and_then(Value::as_str)
    }
}

impl BusinessKey {
    /// Makes a key of `kind` with `value`.
    pub fn new(kind: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            value: value.into(),
        }
    }
}

impl std::fmt::Display for BusinessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.kind, self.value)
    }
}

/// The attribute holding when a step that lasts (a trace span) ended, UTC microseconds; its
/// [`Event::timestamp`] is when it started. Events without it are instants.
pub const END_ATTRIBUTE: &str = "span:end";

/// The prefix of the attributes Flowsight gives a trace span (kind, parent, status, end), and of
/// the ids of the events made from spans (`span:TRACE:SPAN`).
pub const SPAN_PREFIX: &str = "span:";

/// The attribute holding a span's kind (`server`, `client`, `producer`, `consumer`, `internal`).
pub const SPAN_KIND_ATTRIBUTE: &str = "span:kind";

/// The attribute holding a span's parent span id (hex); a root span has none.
pub const SPAN_PARENT_ATTRIBUTE: &str = "span:parent";

/// The attribute holding a span's status (`ok`, `error`, `unset`).
pub const SPAN_STATUS_ATTRIBUTE: &str = "span:status";

/// The attribute holding the message of a span's status, when it gave one.
pub const SPAN_STATUS_MESSAGE_ATTRIBUTE: &str = "span:status_message";

/// The attribute holding an event's XES lifecycle transition; `start`/`complete` pairs give
/// service times.
pub const LIFECYCLE_ATTRIBUTE: &str = "lifecycle:transition";

/// The attribute of an event read from an XES log that records, for each of its attributes
/// (and of its trace's) whose XES form JSON cannot tell, a type record: `date` or `id` for
/// what JSON holds as a string, the items' keys of a list (see
/// `miner::formats::xes::XesEvent::json_types`). Its presence marks the event as read from XES, so an export writes it
/// back as it was read, inventing no resource or id.
pub const XES_TYPES_ATTRIBUTE: &str = "xes:types";

/// The prefix under which an event carries an attribute of its case (an XES trace attribute,
/// pm4py's `case:` columns); an XES export writes them back at trace level.
pub const CASE_ATTRIBUTE_PREFIX: &str = "case:";

/// A domain event: something that happened in some service at some time, about some business objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id; the store keeps one event per id, which makes re-delivery harmless.
    pub id: String,
    /// The activity (event type) this event records, e.g. `PaymentReceivedEvent`.
    pub activity: String,
    /// When it happened, UTC microseconds.
    pub timestamp: Micros,
    /// The service (or file, or topic) it came from.
    pub source: String,
    /// Business keys it carries; may be empty (the event is then uncorrelated, never dropped).
    pub keys: Vec<BusinessKey>,
    /// W3C trace id, when the event was emitted inside a trace.
    pub trace_id: Option<String>,
    /// Span id within that trace.
    pub span_id: Option<String>,
    /// Everything else the event said, kept for display and export.
    pub attributes: Map<String, Value>,
}
