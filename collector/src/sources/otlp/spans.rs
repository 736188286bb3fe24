//! Spans to events.

use super::OtlpConfig;
use crate::mapping::{cap_event, TRACE_KEY};
use miner::log::{
    BusinessKey, Event, END_ATTRIBUTE, SPAN_KIND_ATTRIBUTE, SPAN_PARENT_ATTRIBUTE, SPAN_PREFIX,
    SPAN_STATUS_ATTRIBUTE, SPAN_STATUS_MESSAGE_ATTRIBUTE,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode, Span};
use serde_json::{Map, Value};

/// Messaging attributes under the current semantic conventions, with their older names.
const MESSAGING_ALIASES: [(&str, &[&str]); 3] = [
    ("messaging.operation.type", &["messaging.operation"]),
    ("messaging.destination.name", &["messaging.destination"]),
    ("messaging.kafka.message.key", &["kafka.message.key"]),
];

/// Rejected spans reported per request, at most, in the partial-success message.
const REASONS_SHOWN: usize = 3;

/// What a request's spans became.
#[derive(Debug, Default)]
pub struct SpanBatch {
    /// One event per valid span.
    pub events: Vec<Event>,
    /// Spans refused (invalid ids or times).
    pub rejected: u64,
    /// Why, for the first few.
    pub reasons: Vec<String>,
}

impl SpanBatch {
    /// The `partial_success` of the answer, when spans were refused.
    pub fn partial_success(&self) -> Option<ExportTracePartialSuccess> {
        (self.rejected > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: self.rejected as i64,
            error_message: self.message(),
        })
    }

    /// The partial-success message: the first reasons and how many more there were.
    pub fn message(&self) -> String {
        let more = self.rejected as usize - self.reasons.len().min(self.rejected as usize);
        let mut text = self.reasons.join("; ");
        if more > 0 {
            text.push_str(&format!("; and {more} more"));
        }
        text
    }
}

/// Maps every span of `request` to an event, or says why it cannot be one.
pub fn spans_to_events(config: &OtlpConfig, request: &ExportTraceServiceRequest) -> SpanBatch {
    let mut batch = SpanBatch::default();
    for (r, resource_spans) in request.resource_spans.iter().enumerate() {
        let resource = resource_spans
            .resource
            .as_ref()
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        let service = resource
            .get("service.name")
            .and_then(Value::as_str)
            .unwrap_or("otlp")
            .to_string();
        for (s, scope_spans) in resource_spans.scope_spans.iter().enumerate() {
            for (i, span) in scope_spans.spans.iter().enumerate() {
                match span_event(config, span, &resource, &service) {
                    Ok(event) => batch.events.push(event),
                    Err(reason) => {
                        batch.rejected += 1;
                        if batch.reasons.len() < REASONS_SHOWN {
                            batch.reasons.push(format!(
                                "resourceSpans[{r}].scopeSpans[{s}].spans[{i}] ({:?}): {reason}",
                                span.name
                            ));
                        }
                    }
                }
            }
        }
    }
    batch
}

fn span_event(
    config: &OtlpConfig,
    span: &Span,
    resource: &Map<String, Value>,
    service: &str,
) -> Result<Event, String> {
    let trace = id_hex(&span.trace_id, 16).ok_or("trace id must be 16 bytes, not all zero")?;
    let span_id = id_hex(&span.span_id, 8).ok_or("span id must be 8 bytes, not all zero")?;
    if span.start_time_unix_nano == 0 {
        return Err("no start time".into());
    }
    if span.end_time_unix_nano < span.start_time_unix_nano {
        return Err("ends before it starts".into());
    }
    let start = micros(span.start_time_unix_nano)?;
    let end = micros(span.end_time_unix_nano)?;
    let mut attrs = attributes(&span.attributes);
    for (current, old) in MESSAGING_ALIASES {
        if !attrs.contains_key(current) {
            if let Some(v) = old.iter().find_map(|o| attrs.get(*o).cloned()) {
                attrs.insert(current.to_string(), v);
            }
        }
    }
    let text = |name: &str| {
        attrs
            .get(name)
            .or_else(|| resource.get(name))
            .and_then(|v| match v {
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    };
    let activity = config
        .activity_attributes
        .iter()
        .find_map(|a| text(a))
        .unwrap_or_else(|| span.name.clone());
    if activity.trim().is_empty() {
        return Err("no name".into());
    }
    let keys = span_keys(config, &text, &trace);
    attrs.insert(END_ATTRIBUTE.into(), end.into());
    record_span_facts(&mut attrs, span);
    let mut event = Event {
        id: format!("{SPAN_PREFIX}{trace}:{span_id}"),
        activity,
        timestamp: start,
        source: service.to_string(),
        keys,
        trace_id: Some(trace),
        span_id: Some(span_id),
        attributes: attrs,
    };
    cap_event(&mut event);
    Ok(event)
}

/// The business keys of a span: each key rule's attributes, the Kafka message key when it
/// names a kind, and its trace; each key once. `text` reads an attribute of the span or its
/// resource.
fn span_keys(
    config: &OtlpConfig,
    text: &dyn Fn(&str) -> Option<String>,
    trace: &str,
) -> Vec<BusinessKey> {
    let mut keys: Vec<BusinessKey> = Vec::new();
    let mut add = |key: BusinessKey| {
        if !keys.contains(&key) {
            keys.push(key);
        }
    };
    for rule in &config.keys {
        for value in rule.attributes.iter().filter_map(|a| text(a)) {
            add(BusinessKey::new(&rule.kind, value));
        }
    }
    if let (Some(kind), Some(value)) = (
        &config.message_key_kind,
        text("messaging.kafka.message.key"),
    ) {
        add(BusinessKey::new(kind, value));
    }
    add(BusinessKey::new(TRACE_KEY, trace));
    keys
}

/// Keeps what the span says of itself beside its attributes: its kind, its parent, its status
/// and the status's message.
fn record_span_facts(attrs: &mut Map<String, Value>, span: &Span) {
    attrs.insert(SPAN_KIND_ATTRIBUTE.into(), kind_name(span.kind).into());
    if let Some(parent) = id_hex(&span.parent_span_id, 8) {
        attrs.insert(SPAN_PARENT_ATTRIBUTE.into(), parent.into());
    }
    let status = span.status.as_ref();
    let code = status.map_or(StatusCode::Unset, |s| s.code());
    attrs.insert(
        SPAN_STATUS_ATTRIBUTE.into(),
        match code {
            StatusCode::Ok => "ok",
            StatusCode::Error => "error",
            StatusCode::Unset => "unset",
        }
        .into(),
    );
    if let Some(message) = status.map(|s| &s.message).filter(|m| !m.is_empty()) {
        attrs.insert(SPAN_STATUS_MESSAGE_ATTRIBUTE.into(), message.clone().into());
    }
}

fn micros(nanos: u64) -> Result<i64, String> {
    i64::try_from(nanos / 1_000).map_err(|_| format!("time {nanos} ns is out of range"))
}

/// Lower-case hex of an id of `len` bytes that is not all zero.
fn id_hex(bytes: &[u8], len: usize) -> Option<String> {
    (bytes.len() == len && bytes.iter().any(|&b| b != 0))
        .then(|| bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn kind_name(kind: i32) -> &'static str {
    match SpanKind::try_from(kind).unwrap_or(SpanKind::Unspecified) {
        SpanKind::Server => "server",
        SpanKind::Client => "client",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
        SpanKind::Internal => "internal",
        SpanKind::Unspecified => "unspecified",
    }
}

/// OTLP attributes as a JSON object.
fn attributes(list: &[KeyValue]) -> Map<String, Value> {
    list.iter()
        .map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(Value::Null, json)))
        .collect()
}

fn json(value: &AnyValue) -> Value {
    match &value.value {
        Some(any_value::Value::StringValue(s)) => Value::String(s.clone()),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(*b),
        Some(any_value::Value::IntValue(i)) => Value::from(*i),
        Some(any_value::Value::DoubleValue(d)) => Value::from(*d),
        Some(any_value::Value::ArrayValue(a)) => Value::Array(a.values.iter().map(json).collect()),
        Some(any_value::Value::KvlistValue(kv)) => Value::Object(attributes(&kv.values)),
        Some(any_value::Value::BytesValue(b)) => {
            Value::String(b.iter().map(|b| format!("{b:02x}")).collect())
        }
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Status};

    fn kv(key: &str, value: &str) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(value.into())),
            }),
            ..Default::default()
        }
    }

    fn span(name: &str, id: u8, attrs: Vec<KeyValue>) -> Span {
        Span {
            trace_id: vec![0xab; 16],
            span_id: vec![id; 8],
            parent_span_id: if id == 1 { vec![] } else { vec![1; 8] },
            name: name.into(),
            kind: SpanKind::Consumer as i32,
            start_time_unix_nano: 1_767_600_000_000_000_000,
            end_time_unix_nano: 1_767_600_000_250_000_000,
            attributes: attrs,
            status: Some(Status {
                code: StatusCode::Error as i32,
                message: "card declined".into(),
            }),
            ..Default::default()
        }
    }

    fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![kv("service.name", "payment"), kv("tenant", "t-1")],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope::default()),
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    fn config() -> OtlpConfig {
        toml::from_str(
            r#"
            message_key_kind = "order"
            [[keys]]
            kind = "order"
            attributes = ["order.id"]
            [[keys]]
            kind = "tenant"
            attributes = ["tenant"]
            "#,
        )
        .unwrap()
    }

    #[test]
    fn a_span_becomes_an_event_that_lasts() {
        let batch = spans_to_events(
            &config(),
            &request(vec![span("charge", 2, vec![kv("order.id", "4711")])]),
        );
        assert_eq!(batch.rejected, 0);
        let e = &batch.events[0];
        assert_eq!(e.id, format!("span:{}:{}", "ab".repeat(16), "02".repeat(8)));
        assert_eq!(
            (e.activity.as_str(), e.source.as_str()),
            ("charge", "payment")
        );
        assert_eq!(e.timestamp, 1_767_600_000_000_000);
        assert_eq!(e.end(), Some(1_767_600_000_250_000));
        let keys: Vec<String> = e.keys.iter().map(ToString::to_string).collect();
        assert_eq!(
            keys,
            [
                "order=4711",
                "tenant=t-1",
                &format!("trace={}", "ab".repeat(16))
            ]
        );
        assert_eq!(e.attributes[SPAN_PARENT_ATTRIBUTE], "01".repeat(8));
        assert_eq!(e.attributes[SPAN_KIND_ATTRIBUTE], "consumer");
        assert_eq!(e.attributes[SPAN_STATUS_ATTRIBUTE], "error");
    }

    #[test]
    fn understands_old_and_new_messaging_conventions() {
        let old = span(
            "orders process",
            3,
            vec![
                kv("messaging.system", "kafka"),
                kv("messaging.operation", "process"),
                kv("messaging.destination", "orders"),
                kv("kafka.message.key", "17"),
            ],
        );
        let new = span(
            "process orders",
            4,
            vec![
                kv("messaging.system", "kafka"),
                kv("messaging.operation.type", "process"),
                kv("messaging.destination.name", "orders"),
                kv("messaging.kafka.message.key", "18"),
            ],
        );
        let batch = spans_to_events(&config(), &request(vec![old, new]));
        for (e, order) in batch.events.iter().zip(["17", "18"]) {
            assert_eq!(e.attributes["messaging.operation.type"], "process");
            assert_eq!(e.attributes["messaging.destination.name"], "orders");
            assert!(
                e.keys.contains(&BusinessKey::new("order", order)),
                "{:?}",
                e.keys
            );
        }
    }

    #[test]
    fn a_huge_span_name_and_attribute_are_cut_at_ingest() {
        let huge = span(
            &"n".repeat(8 << 20),
            6,
            vec![kv("order.id", "4711"), kv("note", &"x".repeat(1 << 20))],
        );
        let batch = spans_to_events(&config(), &request(vec![huge]));
        let e = &batch.events[0];
        assert_eq!(e.activity.chars().count(), crate::mapping::MAX_NAME_CHARS);
        assert_eq!(
            e.attributes["note"].as_str().unwrap().chars().count(),
            crate::mapping::MAX_VALUE_CHARS
        );
        assert!(e.keys.iter().any(|k| k.value == "4711"));
    }

    #[test]
    fn names_each_rejected_span() {
        let mut bad_trace = span("a", 2, vec![]);
        bad_trace.trace_id = vec![0; 16];
        let mut short_id = span("b", 3, vec![]);
        short_id.span_id = vec![1, 2];
        let mut backwards = span("c", 4, vec![]);
        backwards.end_time_unix_nano = 1;
        let batch = spans_to_events(
            &config(),
            &request(vec![bad_trace, short_id, span("ok", 5, vec![]), backwards]),
        );
        assert_eq!((batch.events.len(), batch.rejected), (1, 3));
        let message = batch.message();
        assert!(
            message.contains("spans[0] (\"a\"): trace id must be 16 bytes"),
            "{message}"
        );
        assert!(message.contains("spans[1] (\"b\"): span id must be 8 bytes"));
        assert!(message.contains("spans[3] (\"c\"): ends before it starts"));
    }
}
