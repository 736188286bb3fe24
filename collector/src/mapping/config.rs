//! The `[mapping]` section of `flowsight.toml`.

use serde::Deserialize;

/// Where the fields of an event are in a JSON message, as JSON pointers (RFC 6901).
///
/// Defaults follow CloudEvents-style envelopes: `{type, id, source, time, data, traceid}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingConfig {
    /// The activity (event type). Default `/type`.
    #[serde(default = "defaults::activity")]
    pub activity: String,
    /// The time (RFC 3339 string, or epoch milliseconds as a number). Default `/time`.
    #[serde(default = "defaults::time")]
    pub time: String,
    /// The event id; without one an id is derived from the message. Default `/id`.
    #[serde(default = "defaults::id")]
    pub id: String,
    /// The emitting service. Default `/source`.
    #[serde(default = "defaults::source")]
    pub source: String,
    /// The W3C trace id. Default `/traceid`.
    #[serde(default = "defaults::trace_id")]
    pub trace_id: String,
    /// The span id. Default `/spanid`.
    #[serde(default = "defaults::span_id")]
    pub span_id: String,
    /// The payload whose fields become the event's attributes. Default `/data`.
    #[serde(default = "defaults::data")]
    pub data: String,
    /// Whether a trace id links the events of a trace into one instance. Default true.
    #[serde(default = "defaults::yes")]
    pub link_traces: bool,
    /// Business keys to extract.
    #[serde(default)]
    pub keys: Vec<KeyRule>,
    /// Per event type or source overrides of where activity and time are.
    #[serde(default)]
    pub rules: Vec<OverrideRule>,
}

mod defaults {
    pub fn activity() -> String {
        "/type".into()
    }
    pub fn time() -> String {
        "/time".into()
    }
    pub fn id() -> String {
        "/id".into()
    }
    pub fn source() -> String {
        "/source".into()
    }
    pub fn trace_id() -> String {
        "/traceid".into()
    }
    pub fn span_id() -> String {
        "/spanid".into()
    }
    pub fn data() -> String {
        "/data".into()
    }
    pub fn yes() -> bool {
        true
    }
}

impl Default for MappingConfig {
    fn default() -> Self {
        toml::from_str("").expect("every field has a default")
    }
}

/// A business key: its kind and the JSON pointers where its value may be found.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRule {
    /// Key kind, e.g. `order`.
    pub kind: String,
    /// Pointers to look at; every one that holds a string or number gives a key value. A `*`
    /// token stands for every element of an array (`/data/lines/*/orderId`).
    pub pointers: Vec<String>,
    /// Only for these event types (empty: all).
    #[serde(default)]
    pub types: Vec<String>,
}

/// Overrides for events of some types or sources.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideRule {
    /// Event types this rule applies to (empty: any).
    #[serde(default)]
    pub types: Vec<String>,
    /// Sources this rule applies to (empty: any).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Where the activity is for these events.
    pub activity: Option<String>,
    /// Where the time is for these events.
    pub time: Option<String>,
}

impl MappingConfig {
    /// Checks every pointer is a JSON pointer, so mistakes show at start-up, not per event.
    pub fn validate(&self) -> Result<(), String> {
        let mut pointers: Vec<(&str, &str)> = vec![
            ("mapping.activity", &self.activity),
            ("mapping.time", &self.time),
            ("mapping.id", &self.id),
            ("mapping.source", &self.source),
            ("mapping.trace_id", &self.trace_id),
            ("mapping.span_id", &self.span_id),
            ("mapping.data", &self.data),
        ];
        for k in &self.keys {
            if k.kind.is_empty() || k.kind.contains('=') {
                return Err(format!(
                    "mapping.keys: kind {:?} must be non-empty and have no '='",
                    k.kind
                ));
            }
            pointers.extend(
                k.pointers
                    .iter()
                    .map(|p| ("mapping.keys.pointers", p.as_str())),
            );
        }
        for r in &self.rules {
            pointers.extend(
                r.activity
                    .iter()
                    .map(|p| ("mapping.rules.activity", p.as_str())),
            );
            pointers.extend(r.time.iter().map(|p| ("mapping.rules.time", p.as_str())));
        }
        for (field, p) in pointers {
            if !p.is_empty() && !p.starts_with('/') {
                return Err(format!(
                    "{field}: {p:?} is not a JSON pointer (it must start with '/')"
                ));
            }
        }
        Ok(())
    }

    /// Key kinds in the order they were declared: the preferred order for instance labels.
    pub fn key_kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = Vec::new();
        for k in &self.keys {
            if !kinds.contains(&k.kind) {
                kinds.push(k.kind.clone());
            }
        }
        kinds
    }
}
