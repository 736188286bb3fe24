//! Size caps every event gets at ingest, whatever its path (HTTP, Kafka, OTLP, files): a
//! name or value of megabytes (an 8 MiB span name made the map page 33 MB) is cut, so that no
//! single sender can make every page and export of the store huge.
//!
//! The rule: activity names and sources are cut to [`MAX_NAME_CHARS`] characters, business
//! key values and trace ids to [`MAX_KEY_CHARS`], and every text in the attributes to
//! [`MAX_VALUE_CHARS`]; a cut text ends in `…`. Events are never dropped for their size.

use miner::log::Event;
use serde_json::Value;

/// Longest activity name or source kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Longest business key value or trace id kept, in characters.
pub const MAX_KEY_CHARS: usize = 512;

/// Longest text in an event's attributes kept, in characters.
pub const MAX_VALUE_CHARS: usize = 8_192;

/// Cuts what is over the caps in `event`.
pub fn cap_event(event: &mut Event) {
    cut(&mut event.activity, MAX_NAME_CHARS);
    cut(&mut event.source, MAX_NAME_CHARS);
    for key in &mut event.keys {
        cut(&mut key.value, MAX_KEY_CHARS);
        cut(&mut key.kind, MAX_NAME_CHARS);
    }
    for id in [&mut event.trace_id, &mut event.span_id]
        .into_iter()
        .flatten()
    {
        cut(id, MAX_KEY_CHARS);
    }
    for value in event.attributes.values_mut() {
        cap_value(value);
    }
}

fn cap_value(value: &mut Value) {
    match value {
        Value::String(text) => cut(text, MAX_VALUE_CHARS),
        Value::Array(items) => items.iter_mut().for_each(cap_value),
        Value::Object(members) => members.values_mut().for_each(cap_value),
        _ => {}
    }
}

/// Cuts `text` to `max` characters, the last of them `…`, when it is longer.
fn cut(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    if let Some((end, _)) = text.char_indices().nth(max - 1) {
        text.truncate(end);
        text.push('…');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miner::log::BusinessKey;

    #[test]
    fn oversized_names_keys_and_values_are_cut_and_marked() {
        let mut event = Event {
            id: "e".into(),
            activity: "x".repeat(8 << 20),
            timestamp: 0,
            source: "s".into(),
            keys: vec![BusinessKey::new("order", "é".repeat(600))],
            trace_id: None,
            span_id: None,
            attributes:
                serde_json::json!({"note": "n".repeat(10_000), "list": ["m".repeat(9_000)], "n": 5})
                    .as_object()
                    .unwrap()
                    .clone(),
        };
        cap_event(&mut event);
        assert_eq!(event.activity.chars().count(), MAX_NAME_CHARS);
        assert!(event.activity.ends_with('…'));
        assert_eq!(event.keys[0].value.chars().count(), MAX_KEY_CHARS);
        assert_eq!(
            event.attributes["note"].as_str().unwrap().chars().count(),
            MAX_VALUE_CHARS
        );
        assert_eq!(
            event.attributes["list"][0]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            MAX_VALUE_CHARS
        );
        assert_eq!(event.attributes["n"], 5);
        assert_eq!(event.source, "s", "what is within the caps is untouched");
    }
}
