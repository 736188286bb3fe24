//! The attribute values the filter bar suggests: what a store answers with when it keeps no
//! list of them, a sample of the newest instances' events, bounded so that a long history
//! costs no more than a short one.

use super::{InstanceQuery, StoreRead};
use crate::sources::files::{OCEL_EVENT_ID, OCEL_QUALIFIERS};
use crate::CollectorError;
use miner::log::{END_ATTRIBUTE, XES_TYPES_ATTRIBUTE};
use serde_json::Value;
use std::collections::HashMap;

/// How many of the newest instances the sampled suggestions come from.
const SAMPLED_INSTANCES: u64 = 50;

/// Attributes that hold Flowsight's own bookkeeping, not what an event said.
const BOOKKEEPING: [&str; 4] = [
    XES_TYPES_ATTRIBUTE,
    END_ATTRIBUTE,
    OCEL_QUALIFIERS,
    OCEL_EVENT_ID,
];

/// Whether attribute `name` is Flowsight's own bookkeeping, never suggested.
pub fn is_bookkeeping(name: &str) -> bool {
    BOOKKEEPING.contains(&name)
}

/// Up to `limit` values, `name=value`, of the attributes of the newest instances' events,
/// the most frequent first.
pub fn sampled<S: StoreRead + ?Sized>(
    store: &S,
    limit: usize,
) -> Result<Vec<String>, CollectorError> {
    let newest = store.instances(&InstanceQuery {
        limit: SAMPLED_INSTANCES,
        ..Default::default()
    })?;
    let ids: Vec<_> = newest.instances.iter().map(|i| i.id).collect();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for event in store.events_of(&ids)?.values().flatten() {
        for (name, value) in &event.attributes {
            if is_bookkeeping(name) {
                continue;
            }
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(_) | Value::Bool(_) => value.to_string(),
                _ => continue,
            };
            *seen.entry(format!("{name}={text}")).or_default() += 1;
        }
    }
    let mut attributes: Vec<(String, u64)> = seen.into_iter().collect();
    attributes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(attributes
        .into_iter()
        .take(limit)
        .map(|(pair, _)| pair)
        .collect())
}
