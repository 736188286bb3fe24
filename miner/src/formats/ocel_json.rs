//! Reading OCEL 2.0 JSON (`.jsonocel`).

use crate::log::{Ocel, OcelEvent, OcelObject, Relation};
use crate::time::{parse_timestamp, Micros, Zone};
use crate::MinerError;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::io::Read;

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    objects: Vec<JsonObject>,
    #[serde(default)]
    events: Vec<JsonEvent>,
}

#[derive(Deserialize)]
struct JsonEvent {
    id: Value,
    #[serde(rename = "type")]
    kind: String,
    time: String,
    #[serde(default)]
    attributes: Vec<JsonAttribute>,
    #[serde(default)]
    relationships: Vec<JsonRelation>,
}

#[derive(Deserialize)]
struct JsonObject {
    id: Value,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    attributes: Vec<JsonAttribute>,
    #[serde(default)]
    relationships: Vec<JsonRelation>,
}

#[derive(Deserialize)]
struct JsonAttribute {
    name: String,
    #[serde(default)]
    time: Option<String>,
    value: Value,
}

#[derive(Deserialize)]
struct JsonRelation {
    #[serde(rename = "objectId")]
    object_id: Value,
    #[serde(default)]
    qualifier: String,
}

/// Ids may be written as numbers; they are strings to Flowsight.
fn id_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads an OCEL 2.0 JSON document.
pub fn read_ocel_json<R: Read>(input: R) -> Result<Ocel, MinerError> {
    let file: File = serde_json::from_reader(input).map_err(|e| MinerError::Ocel {
        message: format!("not OCEL 2.0 JSON: {e}"),
    })?;
    let mut ocel = Ocel::default();
    let mut time = |text: &str, what: &str| -> Result<Micros, MinerError> {
        let (t, zone) = parse_timestamp(text).map_err(|_| MinerError::Ocel {
            message: format!("{what}: time {text:?} is not RFC 3339"),
        })?;
        if zone == Zone::AssumedUtc {
            ocel.times_assumed_utc += 1;
        }
        Ok(t)
    };
    let relations = |rs: Vec<JsonRelation>| {
        rs.into_iter()
            .map(|r| Relation {
                object: id_text(&r.object_id),
                qualifier: r.qualifier,
            })
            .collect()
    };
    let mut events = Vec::with_capacity(file.events.len());
    for e in file.events {
        let id = id_text(&e.id);
        let timestamp = time(&e.time, &format!("event {id}"))?;
        let attributes: Map<String, Value> = e
            .attributes
            .into_iter()
            .map(|a| (a.name, a.value))
            .collect();
        events.push(OcelEvent {
            id,
            activity: e.kind,
            timestamp,
            attributes,
            objects: relations(e.relationships),
        });
    }
    let mut objects = Vec::with_capacity(file.objects.len());
    for o in file.objects {
        let id = id_text(&o.id);
        let mut attributes = Vec::with_capacity(o.attributes.len());
        for a in o.attributes {
            let at = match &a.time {
                Some(t) => time(t, &format!("object {id} attribute {}", a.name))?,
                None => 0,
            };
            attributes.push((a.name, at, a.value));
        }
        objects.push(OcelObject {
            id,
            kind: o.kind,
            attributes,
            objects: relations(o.relationships),
        });
    }
    ocel.events = events;
    ocel.objects = objects;
    Ok(ocel)
}

/// The OCEL 2.0 JSON type name of a value, for the type declarations.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "float",
        _ => "string",
    }
}

/// Declarations of types with their attributes and value types, as OCEL 2.0 JSON lists them.
fn declarations<'a>(items: impl Iterator<Item = (&'a str, Vec<(&'a str, &'a Value)>)>) -> Value {
    let mut types: std::collections::BTreeMap<&str, std::collections::BTreeMap<&str, &str>> =
        Default::default();
    for (kind, attributes) in items {
        let declared = types.entry(kind).or_default();
        for (name, value) in attributes {
            declared.entry(name).or_insert(type_name(value));
        }
    }
    Value::Array(
        types
            .into_iter()
            .map(|(name, attributes)| {
                let attributes: Vec<Value> = attributes
                    .into_iter()
                    .map(|(n, t)| serde_json::json!({"name": n, "type": t}))
                    .collect();
                serde_json::json!({"name": name, "attributes": attributes})
            })
            .collect(),
    )
}

/// Writes `ocel` as an OCEL 2.0 JSON document (types declared from the values present).
pub fn write_ocel_json(ocel: &Ocel) -> Value {
    use crate::time::format_timestamp;
    use serde_json::json;
    let relations = |rs: &[Relation]| -> Vec<Value> {
        rs.iter()
            .map(|r| json!({"objectId": r.object, "qualifier": r.qualifier}))
            .collect()
    };
    json!({
        "objectTypes": declarations(ocel.objects.iter().map(|o| (o.kind.as_str(), o.attributes.iter().map(|(n, _, v)| (n.as_str(), v)).collect()))),
        "eventTypes": declarations(ocel.events.iter().map(|e| (e.activity.as_str(), e.attributes.iter().map(|(n, v)| (n.as_str(), v)).collect()))),
        "objects": ocel.objects.iter().map(|o| json!({
            "id": o.id,
            "type": o.kind,
            "attributes": o.attributes.iter().map(|(n, t, v)| json!({"name": n, "time": format_timestamp(*t), "value": v})).collect::<Vec<_>>(),
            "relationships": relations(&o.objects),
        })).collect::<Vec<_>>(),
        "events": ocel.events.iter().map(|e| json!({
            "id": e.id,
            "type": e.activity,
            "time": format_timestamp(e.timestamp),
            "attributes": e.attributes.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
            "relationships": relations(&e.objects),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back_the_same() {
        let doc = r#"{"objectTypes":[],"eventTypes":[],
          "objects":[{"id":"o1","type":"order","attributes":[{"name":"amount","time":"2026-01-05T08:00:00Z","value":12}],
                      "relationships":[{"objectId":"i1","qualifier":"contains"}]},
                     {"id":"i1","type":"item"}],
          "events":[{"id":"e1","type":"place","time":"2026-01-05T08:00:00Z","attributes":[{"name":"by","value":"web"}],
                     "relationships":[{"objectId":"o1","qualifier":""},{"objectId":"i1","qualifier":"picked"}]},
                    {"id":7,"type":"pay","time":"2026-01-05T09:00:00+01:00"}]}"#;
        let ocel = read_ocel_json(doc.as_bytes()).unwrap();
        assert_eq!(ocel.events[1].id, "7", "numeric ids are read as strings");
        assert_eq!(ocel.events[1].timestamp, ocel.events[0].timestamp);
        let again = read_ocel_json(write_ocel_json(&ocel).to_string().as_bytes()).unwrap();
        assert_eq!(again, ocel);
        let written = write_ocel_json(&ocel);
        assert_eq!(
            written["eventTypes"][1]["attributes"][0],
            serde_json::json!({"name": "by", "type": "string"})
        );
        assert_eq!(
            written["objectTypes"][1]["attributes"][0]["type"],
            "integer"
        );
    }
}
