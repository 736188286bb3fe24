//! One Kafka message to one event, with the same mapping rules as every other source.
//!
//! Both CloudEvents Kafka bindings are understood: *structured* (the value is the JSON
//! envelope) and *binary* (the value is the data, the envelope fields are `ce_*` headers).
//! A `type` header fills a missing event type, a W3C `traceparent` header a missing trace id,
//! and the message timestamp a missing time. Key, headers and position are visible to the
//! rules under `/_kafka` (`/_kafka/key`, `/_kafka/headers/NAME`, `/_kafka/topic`, …).

use crate::mapping::{lookup, map_event, normalize_trace_id, MappingConfig};
use miner::log::Event;
use serde_json::{Map, Value};

/// The member under which a message's key, headers and position are shown to the rules.
const KAFKA_MEMBER: &str = "_kafka";

/// What the source read from the broker, borrowed from the client's buffers.
#[derive(Debug, Clone, Default)]
pub struct KafkaMessage<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Partition.
    pub partition: i32,
    /// Offset in the partition.
    pub offset: i64,
    /// Message key.
    pub key: Option<&'a [u8]>,
    /// Headers in order.
    pub headers: Vec<(&'a str, Option<&'a [u8]>)>,
    /// Value.
    pub payload: Option<&'a [u8]>,
    /// Producer or broker timestamp, epoch milliseconds.
    pub timestamp_ms: Option<i64>,
}

impl KafkaMessage<'_> {
    /// The id of an event whose message carries none: stable across redeliveries.
    pub fn position_id(&self) -> String {
        format!("kafka:{}/{}/{}", self.topic, self.partition, self.offset)
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.map(|v| String::from_utf8_lossy(v).into_owned()))
    }
}

/// Maps messages to events with the mapping rules, within a size limit.
#[derive(Debug)]
pub struct Decoder<'m> {
    mapping: &'m MappingConfig,
    max_bytes: usize,
    /// Whether any rule reads the message's key, headers or position (most read only the
    /// value, and then they are not copied into it).
    shows_kafka: bool,
}

impl<'m> Decoder<'m> {
    /// A decoder with `mapping`'s rules that refuses values over `max_bytes`.
    pub fn new(mapping: &'m MappingConfig, max_bytes: usize) -> Self {
        Self {
            mapping,
            max_bytes,
            shows_kafka: reads_kafka_member(mapping),
        }
    }

    /// Maps a message to an event, or says why it cannot be one (the dead-letter reason).
    pub fn decode(&self, message: &KafkaMessage<'_>) -> Result<Event, String> {
        let (mapping, max_bytes) = (self.mapping, self.max_bytes);
        let payload = message.payload.unwrap_or_default();
        if payload.is_empty() {
            return Err("empty message (no value)".into());
        }
        if payload.len() > max_bytes {
            return Err(format!(
                "message is {} bytes, over the limit of {max_bytes} bytes",
                payload.len()
            ));
        }
        let value: Value = serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}"))?;
        let mut envelope = match message.header("ce_type") {
            Some(_) => binary_envelope(message, value),
            None => value,
        };
        let has_id = lookup(&envelope, &mapping.id)
            .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()) || v.is_number());
        let Some(object) = envelope.as_object_mut() else {
            return Err("not a JSON object".into());
        };
        if let Some(kind) = message.header("type") {
            fill(object, &mapping.activity, Value::String(kind));
        }
        if let Some(trace) = message
            .header("traceparent")
            .and_then(|t| normalize_trace_id(&t))
        {
            fill(object, &mapping.trace_id, Value::String(trace));
        }
        if let Some(ms) = message.timestamp_ms {
            fill(object, &mapping.time, Value::from(ms));
        }
        if self.shows_kafka {
            object.insert(KAFKA_MEMBER.into(), position(message));
        }
        let mut event =
            map_event(mapping, envelope, payload, message.topic).map_err(|e| e.to_string())?;
        if self.shows_kafka {
            event.attributes.remove(KAFKA_MEMBER);
        }
        if !has_id {
            event.id = message.position_id();
        }
        Ok(event)
    }
}

/// Whether any rule reads the message's key, headers or position.
fn reads_kafka_member(mapping: &MappingConfig) -> bool {
    let prefix = format!("/{KAFKA_MEMBER}");
    let envelope = [
        &mapping.activity,
        &mapping.time,
        &mapping.id,
        &mapping.source,
        &mapping.trace_id,
        &mapping.span_id,
        &mapping.data,
    ];
    let keys = mapping.keys.iter().flat_map(|k| &k.pointers);
    let rules = mapping
        .rules
        .iter()
        .flat_map(|r| r.activity.iter().chain(&r.time));
    envelope
        .into_iter()
        .chain(keys)
        .chain(rules)
        .any(|p| p.starts_with(&prefix))
}

/// A CloudEvents binary-mode message as a structured envelope: `ce_*` headers become
/// members, the value becomes `data`.
fn binary_envelope(message: &KafkaMessage<'_>, data: Value) -> Value {
    let mut object = Map::new();
    for (name, value) in &message.headers {
        if let (Some(field), Some(value)) = (name.strip_prefix("ce_"), value) {
            object.insert(
                field.to_string(),
                Value::String(String::from_utf8_lossy(value).into_owned()),
            );
        }
    }
    object.insert("data".into(), data);
    Value::Object(object)
}

/// Sets a top-level member named by `pointer` when the message does not have it.
fn fill(object: &mut Map<String, Value>, pointer: &str, value: Value) {
    let Some(name) = pointer.strip_prefix('/') else {
        return;
    };
    if name.is_empty() || name.contains('/') {
        return;
    }
    let missing = object.get(name).is_none_or(Value::is_null);
    if missing {
        object.insert(name.to_string(), value);
    }
}

fn position(message: &KafkaMessage<'_>) -> Value {
    let headers: Map<String, Value> = message
        .headers
        .iter()
        .map(|(n, v)| {
            let value = v.map_or(Value::Null, |v| {
                Value::String(String::from_utf8_lossy(v).into_owned())
            });
            (n.to_string(), value)
        })
        .collect();
    serde_json::json!({
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "key": message.key.map(|k| String::from_utf8_lossy(k).into_owned()),
        "headers": headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping() -> MappingConfig {
        crate::CollectorConfig::parse(
            r#"
            [[mapping.keys]]
            kind = "order"
            pointers = ["/data/orderId", "/_kafka/key"]
            types = ["KeyedEvent"]
            [[mapping.keys]]
            kind = "payment"
            pointers = ["/data/paymentId"]
            "#,
        )
        .unwrap()
        .mapping
    }

    fn message(payload: &[u8]) -> KafkaMessage<'_> {
        KafkaMessage {
            topic: "flowing-retail",
            partition: 1,
            offset: 42,
            payload: Some(payload),
            timestamp_ms: Some(1_767_600_000_000),
            ..Default::default()
        }
    }

    fn keys(event: &Event) -> Vec<String> {
        event.keys.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn maps_a_structured_cloudevent() {
        let raw = br#"{"type":"PaymentReceivedEvent","id":"e1","source":"payment","time":"2026-01-05T08:00:01Z","traceid":"t9","correlationid":"c","data":{"paymentId":"p1"}}"#;
        let event = Decoder::new(&mapping(), 1000)
            .decode(&message(raw))
            .unwrap();
        assert_eq!(event.id, "e1");
        assert_eq!(event.activity, "PaymentReceivedEvent");
        assert_eq!(event.timestamp, 1_767_600_001_000_000);
        assert_eq!(keys(&event), ["payment=p1", "trace=t9"]);
        assert!(!event.attributes.contains_key(KAFKA_MEMBER));
        assert_eq!(event.attributes["correlationid"], "c");
    }

    #[test]
    fn headers_key_and_timestamp_fill_what_the_value_lacks() {
        let raw = br#"{"data":{"amount":3}}"#;
        let mut m = message(raw);
        m.key = Some(b"4711");
        m.headers = vec![
            ("type", Some(b"KeyedEvent".as_slice())),
            (
                "traceparent",
                Some(b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01".as_slice()),
            ),
        ];
        let event = Decoder::new(&mapping(), 1000).decode(&m).unwrap();
        assert_eq!(event.activity, "KeyedEvent");
        assert_eq!(event.timestamp, 1_767_600_000_000_000);
        assert_eq!(
            keys(&event),
            ["order=4711", "trace=4bf92f3577b34da6a3ce929d0e0e4736"]
        );
        assert_eq!(
            event.id, "kafka:flowing-retail/1/42",
            "id from the position"
        );
    }

    #[test]
    fn reads_a_binary_mode_cloudevent() {
        let raw = br#"{"orderId":"9"}"#;
        let mut m = message(raw);
        m.headers = vec![
            ("ce_type", Some(b"KeyedEvent".as_slice())),
            ("ce_id", Some(b"b-1".as_slice())),
            ("ce_source", Some(b"checkout".as_slice())),
            ("ce_time", Some(b"2026-01-05T09:00:00Z".as_slice())),
        ];
        let event = Decoder::new(&mapping(), 1000).decode(&m).unwrap();
        assert_eq!(
            (event.id.as_str(), event.source.as_str()),
            ("b-1", "checkout")
        );
        assert_eq!(event.timestamp, 1_767_603_600_000_000);
        assert_eq!(keys(&event), ["order=9"]);
    }

    #[test]
    fn names_what_makes_a_message_a_dead_letter() {
        let reason = |raw: &[u8]| {
            Decoder::new(&mapping(), 64)
                .decode(&message(raw))
                .unwrap_err()
        };
        assert_eq!(reason(b""), "empty message (no value)");
        assert!(reason(b"{oops").starts_with("not JSON"));
        assert_eq!(reason(b"[1,2]"), "not a JSON object");
        assert_eq!(
            reason(br#"{"time":"2026-01-05T08:00:00Z"}"#),
            "no event type: /type is missing or not a non-empty string"
        );
        assert!(reason(br#"{"type":"A","time":"yesterday"}"#).starts_with("unparseable time"));
        assert!(reason(&[b' '; 65]).contains("over the limit of 64 bytes"));
    }
}
