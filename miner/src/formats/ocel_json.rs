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
