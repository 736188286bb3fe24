//! Selecting the instances with an event whose attribute has a value: through the case
//! notions' index of attribute values for the events they followed, and by reading the later
//! events.

use crate::store::embedded::notions::attribute_hash;
use crate::store::embedded::notions::ids::IdSet;
use crate::CollectorError;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};

/// The SQL condition on `instances` (aliased `alias`) selecting those with an event whose
/// attribute `name` has `value` (as text), with its parameters: through the case notions'
/// index of attribute values for the events they followed (a hash of the value; distinct
/// values share one with odds of about one in 2^64), and by reading the later events.
pub fn attribute_condition(alias: &str, name: &str, value: &str) -> (String, Vec<SqlValue>) {
    let (instances, params) = attribute_instances(name, value);
    (format!("{alias}id IN ({instances})"), params)
}

/// The SQL query of the instances with an event whose attribute `name` has `value` (some
/// more than once), with its parameters (see [`attribute_condition`]).
fn attribute_instances(name: &str, value: &str) -> (String, Vec<SqlValue>) {
    // Attributes are stored as compact JSON, so the text `"name":"value"` (or, for a number
    // or a boolean, `"name":value`) finds the candidates fast; the JSON value decides.
    let quoted = |text: &str| serde_json::Value::from(text).to_string();
    let path = format!("$.{}", quoted(name));
    // What the thread has not applied yet counts: a key row retention deleted may be another
    // key's now, and an event number it deleted another event's.
    let instances = String::from(
        "SELECT k.instance FROM notion_attribute_values a JOIN keys k ON k.rowid = a.key
            WHERE a.generation IN (WITH RECURSIVE generation(n) AS (SELECT 0 UNION ALL
                SELECT n + 1 FROM generation WHERE n < (SELECT MAX(generation) FROM notion_attribute_values))
                SELECT n FROM generation)
            AND a.hash = ?
            AND a.key NOT IN (SELECT key FROM retired_keys
                              WHERE id > (SELECT retired FROM notion_progress))
            UNION ALL
            SELECT instance FROM events WHERE seq > (SELECT MIN(seq) FROM (
                SELECT events AS seq FROM notion_progress
                UNION ALL SELECT below FROM sequence_rewinds
                          WHERE id > (SELECT rewound FROM notion_progress)))
            AND instance IS NOT NULL AND (instr(attributes, ?) > 0 OR instr(attributes, ?) > 0)
            AND CASE json_type(attributes, ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                ELSE CAST(json_extract(attributes, ?) AS TEXT) END = ?"
    );
    let params = vec![
        SqlValue::Integer(attribute_hash(name, value)),
        SqlValue::Text(format!("{}:{}", quoted(name), quoted(value))),
        SqlValue::Text(format!("{}:{value}", quoted(name))),
        SqlValue::Text(path.clone()),
        SqlValue::Text(path),
        SqlValue::Text(value.to_string()),
    ];
    (instances, params)
}

/// The instances with an event whose attribute `name` has `value`.
pub fn instances_with(conn: &Connection, name: &str, value: &str) -> Result<IdSet, CollectorError> {
    let (instances, params) = attribute_instances(name, value);
    let mut with = IdSet::default();
    let mut stmt = conn.prepare_cached(&instances)?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    while let Some(row) = rows.next()? {
        with.insert(row.get(0)?);
    }
    Ok(with)
}
