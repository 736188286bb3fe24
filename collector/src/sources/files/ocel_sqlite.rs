//! Reading the OCEL 2.0 SQLite encoding: `event`, `object`, `event_object`, `object_object`
//! and one attribute table per event and object type (`event_<map>`, `object_<map>`).
//! Ids stored as integers are read as strings.

use crate::CollectorError;
use miner::log::{Ocel, OcelEvent, OcelObject, Relation};
use miner::time::{parse_timestamp, Micros, Zone};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;

fn text(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => String::new(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
    }
}

fn json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            Value::String(String::from_utf8_lossy(t).into_owned())
        }
    }
}

/// Qualified relations from a `(source, target, qualifier)` query, grouped by source.
fn read_relations(
    conn: &Connection,
    sql: &str,
) -> Result<HashMap<String, Vec<Relation>>, CollectorError> {
    let mut grouped: HashMap<String, Vec<Relation>> = HashMap::new();
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        grouped
            .entry(text(r.get_ref(0)?))
            .or_default()
            .push(Relation {
                object: text(r.get_ref(1)?),
                qualifier: text(r.get_ref(2)?),
            });
    }
    Ok(grouped)
}

/// Reads an OCEL 2.0 SQLite file (opened read-only).
pub fn read_ocel_sqlite(path: &Path) -> Result<Ocel, CollectorError> {
    let bad = |message: String| CollectorError::File {
        path: path.display().to_string(),
        message,
    };
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut ocel = Ocel::default();
    let mut time = |raw: String, what: &str| -> Result<Micros, CollectorError> {
        let (t, zone) = parse_timestamp(&raw)
            .map_err(|_| bad(format!("{what}: time {raw:?} is not ISO 8601")))?;
        if zone == Zone::AssumedUtc {
            ocel.times_assumed_utc += 1;
        }
        Ok(t)
    };

    let type_maps = |table: &str| -> Result<Vec<(String, String)>, CollectorError> {
        let mut stmt = conn.prepare(&format!("SELECT ocel_type, ocel_type_map FROM {table}"))?;
        let rows = stmt.query_map([], |r| Ok((text(r.get_ref(0)?), text(r.get_ref(1)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };

    // Event attributes and times from the per-type tables.
    let mut event_rows: HashMap<String, (Micros, Map<String, Value>)> = HashMap::new();
    for (_, map) in type_maps("event_map_type")? {
        let mut stmt = conn.prepare(&format!(
            "SELECT * FROM \"event_{}\"",
            map.replace('"', "\"\"")
        ))?;
        let columns: Vec<String> = stmt
            .column_names()
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let mut id = String::new();
            let mut at = None;
            let mut attributes = Map::new();
            for (i, c) in columns.iter().enumerate() {
                match c.as_str() {
                    "ocel_id" => id = text(r.get_ref(i)?),
                    "ocel_time" => at = Some(text(r.get_ref(i)?)),
                    _ => {
                        attributes.insert(c.clone(), json(r.get_ref(i)?));
                    }
                }
            }
            let at = at.ok_or_else(|| bad(format!("table event_{map} has no ocel_time")))?;
            let t = time(at, &format!("event {id}"))?;
            event_rows.insert(id, (t, attributes));
        }
    }

    let mut relations = read_relations(
        &conn,
        "SELECT ocel_event_id, ocel_object_id, ocel_qualifier FROM event_object",
    )?;
    let mut stmt = conn.prepare("SELECT ocel_id, ocel_type FROM event ORDER BY rowid")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id = text(r.get_ref(0)?);
        let (timestamp, attributes) = event_rows
            .remove(&id)
            .ok_or_else(|| bad(format!("event {id} has no row in its type's table")))?;
        ocel.events.push(OcelEvent {
            objects: relations.remove(&id).unwrap_or_default(),
            activity: text(r.get_ref(1)?),
            id,
            timestamp,
            attributes,
        });
    }

    // Object attribute values over time.
    let mut object_values: HashMap<String, Vec<(String, Micros, Value)>> = HashMap::new();
    for (_, map) in type_maps("object_map_type")? {
        let mut stmt = conn.prepare(&format!(
            "SELECT * FROM \"object_{}\"",
            map.replace('"', "\"\"")
        ))?;
        let columns: Vec<String> = stmt
            .column_names()
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let mut id = String::new();
            let mut at = 0;
            let mut values = Vec::new();
            for (i, c) in columns.iter().enumerate() {
                match c.as_str() {
                    "ocel_id" => id = text(r.get_ref(i)?),
                    "ocel_time" => at = time(text(r.get_ref(i)?), &format!("object table {map}"))?,
                    "ocel_changed_field" => {}
                    _ => {
                        let v = json(r.get_ref(i)?);
                        if !v.is_null() {
                            values.push((c.clone(), v));
                        }
                    }
                }
            }
            object_values
                .entry(id)
                .or_default()
                .extend(values.into_iter().map(|(c, v)| (c, at, v)));
        }
    }
    let mut links = read_relations(
        &conn,
        "SELECT ocel_source_id, ocel_target_id, ocel_qualifier FROM object_object",
    )?;
    let mut stmt = conn.prepare("SELECT ocel_id, ocel_type FROM object ORDER BY rowid")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id = text(r.get_ref(0)?);
        ocel.objects.push(OcelObject {
            attributes: object_values.remove(&id).unwrap_or_default(),
            objects: links.remove(&id).unwrap_or_default(),
            kind: text(r.get_ref(1)?),
            id,
        });
    }
    Ok(ocel)
}
