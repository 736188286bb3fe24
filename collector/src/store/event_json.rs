//! How an event's keys and attributes are kept as JSON text in a store's columns, the same in
//! every store, and read back with an error that says what was corrupt.

use crate::CollectorError;
use miner::log::BusinessKey;
use serde_json::{Map, Value};

/// The keys as a JSON array of `[kind, value]` pairs.
pub fn keys_to_json(keys: &[BusinessKey]) -> String {
    let pairs: Vec<(&str, &str)> = keys
        .iter()
        .map(|k| (k.kind.as_str(), k.value.as_str()))
        .collect();
    serde_json::to_string(&pairs).expect("strings serialize")
}

/// The attributes as a JSON object.
pub fn attributes_to_json(attributes: &Map<String, Value>) -> String {
    serde_json::to_string(attributes).expect("JSON values serialize")
}

/// Keys written by [`keys_to_json`].
pub fn keys_from_json(text: &str) -> Result<Vec<BusinessKey>, CollectorError> {
    let pairs: Vec<(String, String)> = serde_json::from_str(text)
        .map_err(|e| CollectorError::Corrupt(format!("event keys: {e}")))?;
    Ok(pairs
        .into_iter()
        .map(|(k, v)| BusinessKey::new(k, v))
        .collect())
}

/// Attributes written by [`attributes_to_json`].
pub fn attributes_from_json(text: &str) -> Result<Map<String, Value>, CollectorError> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(CollectorError::Corrupt(
            "event attributes are not a JSON object".into(),
        )),
    }
}
