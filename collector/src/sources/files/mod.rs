//! Event log files into the store: XES and CSV (one instance per case) and OCEL 2.0 in its
//! three encodings (read by the miner; SQLite through its `ocel-sqlite` feature), whose objects
//! become business keys.

mod import;

pub use import::{import_file, ImportOptions, ImportReport};

use crate::store::{KeyLink, ObjectAttribute};
use crate::CollectorError;
use miner::formats::log_format::LogFormat;
use miner::formats::ocel_sqlite::read_ocel_sqlite;
use miner::formats::{ocel_json::read_ocel_json, ocel_xml::read_ocel_xml};
use miner::log::{BusinessKey, Event, Ocel};
use serde_json::Value;
use std::collections::HashMap;
use std::io::BufReader;
use std::path::Path;

/// Reads an OCEL 2.0 file in the encoding its name says (see [`LogFormat`]).
pub fn read_ocel_file(path: &Path) -> Result<Ocel, CollectorError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let format = LogFormat::of_file(path, name).map_err(|e| file_error(path, e))?;
    read_ocel(path, format)
}

/// Reads the OCEL 2.0 file at `path` in `format`.
pub fn read_ocel(path: &Path, format: LogFormat) -> Result<Ocel, CollectorError> {
    let open = || {
        std::fs::File::open(path)
            .map(BufReader::new)
            .map_err(|e| file_error(path, e))
    };
    let bad = |e: miner::MinerError| file_error(path, e);
    match format {
        LogFormat::OcelJson => read_ocel_json(open()?).map_err(bad),
        LogFormat::OcelXml => read_ocel_xml(open()?).map_err(bad),
        LogFormat::OcelSqlite => read_ocel_sqlite(path).map_err(|e| match e {
            miner::MinerError::OcelSqlite { message, .. } => file_error(path, message),
            other => bad(other),
        }),
        other => Err(file_error(
            path,
            format!(
                "a {} file, not OCEL 2.0 (.jsonocel, .xmlocel, .sqlite)",
                other.label()
            ),
        )),
    }
}

/// The error of file `path`: `message` names what was wrong.
fn file_error(path: &Path, message: impl ToString) -> CollectorError {
    CollectorError::File {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// The event attribute that keeps every event-to-object relation of an OCEL event with its
/// qualifier, in the file's order: `[[object id, qualifier], …]` (one object may be related
/// twice, with two qualifiers). Stores written before kept an object → qualifier map.
pub const OCEL_QUALIFIERS: &str = "ocel:qualifiers";

/// The event attribute that keeps an OCEL event's own id, which an OCEL export gives back.
pub const OCEL_EVENT_ID: &str = "ocel:id";

/// The events of `ocel` as Flowsight events: each related object becomes a business key
/// (object type = kind, object id = value); the relations with their qualifiers are kept in
/// the attribute `ocel:qualifiers`, the event's own id in `ocel:id`. Store ids are prefixed
/// with `origin` so logs cannot collide.
pub fn ocel_events(ocel: &Ocel, origin: &str) -> Vec<Event> {
    let kinds: HashMap<&str, &str> = ocel
        .objects
        .iter()
        .map(|o| (o.id.as_str(), o.kind.as_str()))
        .collect();
    ocel.events
        .iter()
        .map(|e| {
            let mut attributes = e.attributes.clone();
            let qualifiers: Vec<Value> = e
                .objects
                .iter()
                .map(|r| Value::from(vec![r.object.clone(), r.qualifier.clone()]))
                .collect();
            attributes.insert(OCEL_QUALIFIERS.into(), Value::Array(qualifiers));
            attributes.insert(OCEL_EVENT_ID.into(), Value::String(e.id.clone()));
            Event {
                id: format!("{origin}:{}", e.id),
                activity: e.activity.clone(),
                timestamp: e.timestamp,
                source: origin.to_string(),
                keys: e
                    .objects
                    .iter()
                    .map(|r| {
                        BusinessKey::new(
                            kinds.get(r.object.as_str()).copied().unwrap_or("object"),
                            &r.object,
                        )
                    })
                    .collect(),
                trace_id: None,
                span_id: None,
                attributes,
            }
        })
        .collect()
}

/// The attribute values of `ocel`'s objects, each with the time it was set, as kept by the
/// store (objects are business keys: object type = kind, object id = value).
pub fn ocel_object_attributes(ocel: &Ocel) -> Vec<ObjectAttribute> {
    ocel.objects
        .iter()
        .flat_map(|o| {
            o.attributes
                .iter()
                .map(|(name, time, value)| ObjectAttribute {
                    object: BusinessKey::new(&o.kind, &o.id),
                    name: name.clone(),
                    time: *time,
                    value: value.clone(),
                })
        })
        .collect()
}

/// Object-to-object relations as links between business keys.
pub fn ocel_links(ocel: &Ocel) -> Vec<KeyLink> {
    let kinds: HashMap<&str, &str> = ocel
        .objects
        .iter()
        .map(|o| (o.id.as_str(), o.kind.as_str()))
        .collect();
    let key = |id: &str| BusinessKey::new(kinds.get(id).copied().unwrap_or("object"), id);
    ocel.objects
        .iter()
        .flat_map(|o| o.objects.iter().map(move |r| (o.id.as_str(), r)))
        .map(|(a, r)| KeyLink {
            from: key(a),
            to: key(&r.object),
            qualifier: r.qualifier.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use miner::log::Relation;
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    fn shared(name: &str) -> PathBuf {
        std::env::var_os("FLOWSIGHT_SHARED")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
            .join("fixtures/ocel")
            .join(name)
    }

    type Shape = (
        BTreeSet<(String, String)>,
        BTreeSet<(String, String)>,
        BTreeSet<(String, Relation)>,
        BTreeSet<(String, Relation)>,
        BTreeSet<(String, String, String)>,
    );

    /// Everything but the times, which the XML file writes without an offset.
    fn shape(o: &Ocel) -> Shape {
        (
            o.events
                .iter()
                .map(|e| (e.id.clone(), e.activity.clone()))
                .collect(),
            o.objects
                .iter()
                .map(|x| (x.id.clone(), x.kind.clone()))
                .collect(),
            o.events
                .iter()
                .flat_map(|e| e.objects.iter().map(|r| (e.id.clone(), r.clone())))
                .collect(),
            o.objects
                .iter()
                .flat_map(|x| x.objects.iter().map(|r| (x.id.clone(), r.clone())))
                .collect(),
            o.events
                .iter()
                .flat_map(|e| {
                    e.attributes.iter().map(|(k, v)| {
                        (
                            e.id.clone(),
                            k.clone(),
                            v.as_str().map_or(v.to_string(), str::to_string),
                        )
                    })
                })
                .collect(),
        )
    }

    #[test]
    fn the_three_encodings_of_one_log_read_alike() {
        let json = read_ocel_file(&shared("ocel20_example.jsonocel")).unwrap();
        let xml = read_ocel_file(&shared("ocel20_example.xmlocel")).unwrap();
        let sqlite = read_ocel_file(&shared("ocel20_example.sqlite")).unwrap();
        assert_eq!((json.events.len(), json.objects.len()), (13, 9));
        assert_eq!(shape(&xml), shape(&json));
        assert_eq!(shape(&sqlite), shape(&json));
        let kinds: BTreeSet<&str> = json.objects.iter().map(|o| o.kind.as_str()).collect();
        assert_eq!(kinds.len(), 4);
        assert!(
            xml.times_assumed_utc > 0,
            "the XML times carry no offset and are reported"
        );
        // Same order of events in time, whatever the offset.
        let order = |o: &Ocel| {
            let mut e: Vec<(i64, String)> = o
                .events
                .iter()
                .map(|e| (e.timestamp, e.id.clone()))
                .collect();
            e.sort();
            e.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
        };
        assert_eq!(order(&xml), order(&json));
    }

    #[test]
    fn logistics_counts_equal_the_raw_tables() {
        let path = shared("logistics.sqlite");
        let ocel = read_ocel_file(&path).unwrap();
        let conn = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as usize;
        assert_eq!(ocel.events.len(), count("SELECT COUNT(*) FROM event"));
        assert_eq!(ocel.objects.len(), count("SELECT COUNT(*) FROM object"));
        assert_eq!(ocel.e2o_count(), count("SELECT COUNT(*) FROM event_object"));
        assert_eq!(
            ocel.o2o_count(),
            count("SELECT COUNT(*) FROM object_object")
        );
        let types: BTreeSet<&str> = ocel.events.iter().map(|e| e.activity.as_str()).collect();
        assert_eq!(
            types.len(),
            count("SELECT COUNT(DISTINCT ocel_type) FROM event")
        );
        assert_eq!(ocel.events.len(), 8727);
        let events = ocel_events(&ocel, "ocel:logistics");
        assert_eq!(
            events.iter().map(|e| e.keys.len()).sum::<usize>(),
            ocel.e2o_count()
        );
        assert_eq!(
            ocel_links(&ocel).len(),
            count("SELECT COUNT(*) FROM object_object")
        );
    }
}
