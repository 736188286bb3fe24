//! Samples of what a store already holds: its newest events, written back as messages in the
//! envelope Flowsight keeps them in, so that discovery can look at ingested events too, and
//! at the attributes of trace spans.

use crate::mapping::{unescape, MappingConfig};
use crate::store::{InstanceQuery, Store};
use crate::CollectorError;
use miner::log::{Event, SPAN_PREFIX};
use miner::time::format_timestamp;
use serde_json::{Map, Value};

/// A sample of stored events, as messages.
pub struct StoredSample {
    /// Events that came as messages, in the envelope of the rules they were mapped with.
    pub messages: Vec<Value>,
    /// Events that came as trace spans, as `{type, time, id, source, traceid, data}` with the
    /// span's attributes under `data`.
    pub spans: Vec<Value>,
}

/// The newest events of `store`, at most about `limit`: message events and span events apart.
/// Message events are written in the envelope of `mapping` (the rules they were mapped
/// with), their attributes under its payload pointer, so that proposed pointers read the
/// messages as the rules in force do; an attribute that was a top-level member of its message
/// shows under the payload too, which the Discover page says.
pub fn stored_sample(
    store: &dyn Store,
    mapping: &MappingConfig,
    limit: usize,
) -> Result<StoredSample, CollectorError> {
    let mut events: Vec<Event> = store.uncorrelated(limit as u64 / 2)?;
    let mut offset = 0;
    while events.len() < limit {
        let page = store.instances(&InstanceQuery {
            offset,
            limit: 200,
            ..InstanceQuery::default()
        })?;
        if page.instances.is_empty() {
            break;
        }
        offset += page.instances.len() as u64;
        let ids: Vec<_> = page.instances.iter().map(|i| i.id).collect();
        let mut by_instance = store.events_of(&ids)?;
        for id in ids {
            events.extend(by_instance.remove(&id).unwrap_or_default());
        }
    }
    events.truncate(limit);
    events.sort_by_key(|e| e.timestamp);
    let (spans, messages): (Vec<Event>, Vec<Event>) = events.into_iter().partition(Event::is_span);
    let span_envelope = MappingConfig::default();
    Ok(StoredSample {
        messages: messages
            .into_iter()
            .map(|e| message_of(e, mapping))
            .collect(),
        spans: spans
            .into_iter()
            .map(|mut span| {
                // Flowsight's own span attributes (kind, parent, status, end) name no business.
                span.attributes
                    .retain(|name, _| !name.starts_with(SPAN_PREFIX));
                message_of(span, &span_envelope)
            })
            .collect(),
    })
}

/// An event as a message in the envelope of `mapping`.
fn message_of(event: Event, mapping: &MappingConfig) -> Value {
    let mut message = Value::Object(Map::new());
    let data = if mapping.data.is_empty() {
        "/data"
    } else {
        &mapping.data
    };
    set_at(&mut message, data, Value::Object(event.attributes));
    set_at(&mut message, &mapping.activity, event.activity.into());
    set_at(
        &mut message,
        &mapping.time,
        format_timestamp(event.timestamp).into(),
    );
    set_at(&mut message, &mapping.id, event.id.into());
    set_at(&mut message, &mapping.source, event.source.into());
    if let Some(trace) = event.trace_id {
        set_at(&mut message, &mapping.trace_id, trace.into());
    }
    message
}

/// Puts `value` at `pointer` in `message`, making the objects on the way (an empty pointer
/// or one through a non-object puts nothing).
fn set_at(message: &mut Value, pointer: &str, value: Value) {
    let Some(tokens) = pointer.strip_prefix('/') else {
        return;
    };
    let mut target = message;
    let mut tokens = tokens.split('/').peekable();
    while let Some(token) = tokens.next() {
        let name = unescape(token).into_owned();
        let Value::Object(members) = target else {
            return;
        };
        if tokens.peek().is_none() {
            members.insert(name, value);
            return;
        }
        target = members
            .entry(name)
            .or_insert_with(|| Value::Object(Map::new()));
    }
}
