//! The `[otlp]` section of `flowsight.toml`: how spans become events.

use serde::Deserialize;

/// Rules for spans, and the ingest's limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtlpConfig {
    /// Span attributes naming the activity, first found wins; otherwise the span name is.
    #[serde(default = "defaults::activity_attributes")]
    pub activity_attributes: Vec<String>,
    /// Business keys: which span (or else resource) attributes hold them.
    #[serde(default)]
    pub keys: Vec<SpanKeyRule>,
    /// The key kind of a messaging span's Kafka message key (`messaging.kafka.message.key`,
    /// or `kafka.message.key` under the old conventions), e.g. `order`; none by default.
    #[serde(default)]
    pub message_key_kind: Option<String>,
    /// Spans waiting for the store at most; beyond, clients are told to retry later.
    #[serde(default = "defaults::queue_spans")]
    pub queue_spans: usize,
    /// Largest request body, in bytes (after decompression); larger ones get 413.
    #[serde(default = "defaults::max_body")]
    pub max_body: usize,
}

/// A business key kind and the attributes that may hold its value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpanKeyRule {
    /// Key kind, e.g. `order`.
    pub kind: String,
    /// Attribute names, e.g. `order.id`, `app.order.id`.
    pub attributes: Vec<String>,
}

mod defaults {
    pub fn activity_attributes() -> Vec<String> {
        vec!["flowsight.activity".into()]
    }
    pub fn queue_spans() -> usize {
        100_000
    }
    pub fn max_body() -> usize {
        16 << 20
    }
}

impl Default for OtlpConfig {
    fn default() -> Self {
        toml::from_str("").expect("every field has a default")
    }
}

impl OtlpConfig {
    /// Checks the settings, so mistakes show at start-up.
    pub fn validate(&self) -> Result<(), String> {
        for rule in &self.keys {
            if rule.kind.is_empty() || rule.kind.contains('=') {
                return Err(format!(
                    "otlp.keys: kind {:?} must be non-empty and have no '='",
                    rule.kind
                ));
            }
            if rule.attributes.is_empty() {
                return Err(format!(
                    "otlp.keys: kind {:?} names no attribute",
                    rule.kind
                ));
            }
        }
        if self.queue_spans == 0 {
            return Err("otlp.queue_spans must be at least 1".into());
        }
        Ok(())
    }
}
