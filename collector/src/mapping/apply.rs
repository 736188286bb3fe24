//! Applying the mapping rules to one JSON message.

use super::{cap_event, derive_event_id, lookup, lookup_all, trace_id_of, MappingConfig};
use miner::log::{BusinessKey, Event};
use miner::time::{parse_timestamp, Micros};
use serde_json::{Map, Value};

/// Why a message could not become an event; shown to the sender per item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// The message is not a JSON object.
    #[error("not a JSON object")]
    NotAnObject,
    /// No activity at the configured pointer.
    #[error("no event type: {pointer} is missing or not a non-empty string")]
    NoActivity {
        /// Where it was looked for.
        pointer: String,
    },
    /// No time at the configured pointer.
    #[error("no time: {pointer} is missing")]
    NoTime {
        /// Where it was looked for.
        pointer: String,
    },
    /// The time is there but is not a timestamp.
    #[error("unparseable time {value}: expected RFC 3339 (e.g. 2026-01-05T08:00:00Z) or epoch milliseconds")]
    BadTime {
        /// The value found.
        value: String,
    },
}

/// Maps a parsed message to an event, moving its payload into the event's attributes. `raw`
/// are its bytes (to derive an id when it has none) and `origin` names where it came from
/// (`http`, a topic, a file).
pub fn map_event(
    config: &MappingConfig,
    mut message: Value,
    raw: &[u8],
    origin: &str,
) -> Result<Event, MappingError> {
    if !message.is_object() {
        return Err(MappingError::NotAnObject);
    }
    let kind = text_at(&message, &config.activity);
    let source_value = text_at(&message, &config.source);
    let rule = config.rules.iter().find(|r| {
        (r.types.is_empty() || kind.as_ref().is_some_and(|k| r.types.contains(k)))
            && (r.sources.is_empty()
                || source_value.as_ref().is_some_and(|s| r.sources.contains(s)))
    });
    let activity_pointer = rule
        .and_then(|r| r.activity.clone())
        .unwrap_or_else(|| config.activity.clone());
    let time_pointer = rule
        .and_then(|r| r.time.clone())
        .unwrap_or_else(|| config.time.clone());

    let activity = text_at(&message, &activity_pointer)
        .filter(|a| !a.trim().is_empty())
        .ok_or(MappingError::NoActivity {
            pointer: activity_pointer,
        })?;
    let timestamp = time_at(&message, &time_pointer)?;

    let mut keys: Vec<BusinessKey> = Vec::new();
    for rule in &config.keys {
        if !rule.types.is_empty() && !rule.types.contains(&activity) {
            continue;
        }
        for pointer in &rule.pointers {
            lookup_all(&message, pointer, &mut |found| {
                if let Some(value) = scalar_text(found).filter(|v| !v.is_empty()) {
                    let key = BusinessKey::new(&rule.kind, value);
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            });
        }
    }
    let trace_id = text_at(&message, &config.trace_id).and_then(|t| trace_id_of(&t));
    if config.link_traces {
        if let Some(t) = &trace_id {
            keys.push(BusinessKey::new(TRACE_KEY, t));
        }
    }

    let id = text_at(&message, &config.id)
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| derive_event_id(origin, raw));
    let span_id = text_at(&message, &config.span_id).filter(|s| !s.is_empty());
    let attributes = attributes_of(config, &mut message);
    let mut event = Event {
        id,
        activity,
        timestamp,
        source: source_value.unwrap_or_else(|| origin.to_string()),
        keys,
        trace_id,
        span_id,
        attributes,
    };
    cap_event(&mut event);
    Ok(event)
}

/// The event's attributes: the fields of the payload, then the message's other top-level
/// members (those the envelope does not name). A top-level payload is moved out of the
/// message, a nested one copied (its parent member is kept whole too).
fn attributes_of(config: &MappingConfig, message: &mut Value) -> Map<String, Value> {
    let top_level = config
        .data
        .strip_prefix('/')
        .filter(|name| !name.is_empty() && !name.contains(['/', '~']));
    let data = match top_level {
        Some(name) => message.as_object_mut().and_then(|o| o.remove(name)),
        None => lookup(message, &config.data).cloned(),
    };
    let mut attributes = Map::new();
    match data {
        Some(Value::Object(fields)) => attributes = fields,
        Some(other) if !config.data.is_empty() => {
            attributes.insert("data".into(), other);
        }
        _ => {}
    }
    let envelope = [
        &config.activity,
        &config.time,
        &config.id,
        &config.source,
        &config.trace_id,
        &config.span_id,
        &config.data,
    ];
    let named = |field: &str| envelope.iter().any(|p| p.strip_prefix('/') == Some(field));
    if let Value::Object(object) = std::mem::take(message) {
        for (field, value) in object {
            if !named(&field) && !attributes.contains_key(&field) {
                attributes.insert(field, value);
            }
        }
    }
    attributes
}

/// The key kind under which trace ids link events.
pub const TRACE_KEY: &str = "trace";

fn text_at(message: &Value, pointer: &str) -> Option<String> {
    if pointer.is_empty() {
        return None;
    }
    scalar_text(lookup(message, pointer)?)
}

/// A string as it is, a number as written; nothing for other values.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn time_at(message: &Value, pointer: &str) -> Result<Micros, MappingError> {
    match lookup(message, pointer) {
        None | Some(Value::Null) => Err(MappingError::NoTime {
            pointer: pointer.to_string(),
        }),
        Some(Value::String(s)) => {
            parse_timestamp(s)
                .map(|(t, _)| t)
                .map_err(|_| MappingError::BadTime {
                    value: format!("{s:?}"),
                })
        }
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|ms| ms.checked_mul(1000))
            .ok_or_else(|| MappingError::BadTime {
                value: n.to_string(),
            }),
        Some(other) => Err(MappingError::BadTime {
            value: other.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> MappingConfig {
        crate::CollectorConfig::parse(
            r#"
            [[mapping.keys]]
            kind = "order"
            pointers = ["/data/orderId", "/data/refId"]
            [[mapping.keys]]
            kind = "payment"
            pointers = ["/data/paymentId"]
            [[mapping.rules]]
            types = ["Legacy"]
            activity = "/data/step"
            "#,
        )
        .unwrap()
        .mapping
    }

    #[test]
    fn maps_a_cloudevents_envelope() {
        let m = json!({"type": "PaymentReceivedEvent", "id": "e1", "source": "payment",
            "time": "2026-01-05T08:00:00Z", "traceid": "t1", "correlationid": "c9",
            "data": {"refId": 4711, "paymentId": "p-9", "amount": 12}});
        let e = map_event(&config(), m, b"", "http").unwrap();
        assert_eq!(e.id, "e1");
        assert_eq!(e.activity, "PaymentReceivedEvent");
        assert_eq!(e.source, "payment");
        assert_eq!(e.timestamp, 1_767_600_000_000_000);
        let keys: Vec<String> = e.keys.iter().map(ToString::to_string).collect();
        assert_eq!(keys, ["order=4711", "payment=p-9", "trace=t1"]);
        assert_eq!(e.attributes["amount"], 12);
        assert_eq!(e.attributes["correlationid"], "c9");
        assert!(!e.attributes.contains_key("type"));
    }

    #[test]
    fn attributes_come_from_the_payload_wherever_it_is() {
        let mut nested = MappingConfig {
            data: "/body/data".into(),
            ..MappingConfig::default()
        };
        let m = json!({"type": "A", "time": 0, "body": {"data": {"x": 1}, "y": 2}, "data": 3});
        let e = map_event(&nested, m.clone(), b"", "x").unwrap();
        assert_eq!(e.attributes["x"], 1, "payload fields");
        assert_eq!(
            e.attributes["body"], m["body"],
            "its parent member is kept whole"
        );
        assert_eq!(
            e.attributes["data"], 3,
            "a member the envelope does not name"
        );
        nested.data = "/data".into();
        let e = map_event(&nested, m.clone(), b"", "x").unwrap();
        assert_eq!(e.attributes["data"], 3, "a payload that is no object");
        assert_eq!(e.attributes["body"], m["body"]);
        nested.data = String::new();
        let e = map_event(&nested, m, b"", "x").unwrap();
        assert_eq!(e.attributes["body"]["y"], 2, "the whole message as payload");
    }

    #[test]
    fn overrides_apply_per_type_and_ids_are_derived() {
        let m =
            json!({"type": "Legacy", "time": 1_767_600_000_000i64, "data": {"step": "Approve"}});
        let raw = m.to_string();
        let e = map_event(&config(), m, raw.as_bytes(), "http").unwrap();
        assert_eq!(e.activity, "Approve");
        assert_eq!(e.timestamp, 1_767_600_000_000_000);
        assert_eq!(e.id, derive_event_id("http", raw.as_bytes()));
        assert!(e.keys.is_empty());
        assert_eq!(e.source, "http");
    }

    #[test]
    fn says_what_is_wrong() {
        let c = config();
        assert_eq!(
            map_event(&c, json!([1]), b"", "x"),
            Err(MappingError::NotAnObject)
        );
        let err = map_event(&c, json!({"time": "2026-01-05T08:00:00Z"}), b"", "x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no event type: /type is missing or not a non-empty string"
        );
        let err = map_event(&c, json!({"type": "A"}), b"", "x").unwrap_err();
        assert_eq!(err.to_string(), "no time: /time is missing");
        let err = map_event(&c, json!({"type": "A", "time": "soon"}), b"", "x").unwrap_err();
        assert!(
            err.to_string().starts_with("unparseable time \"soon\""),
            "{err}"
        );
    }
}
