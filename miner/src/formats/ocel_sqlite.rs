//! The OCEL 2.0 SQLite encoding, read and written: `event`, `object`, `event_object`,
//! `object_object` and one attribute table per event and object type (`event_<map>`,
//! `object_<map>`). Ids stored as integers are read as strings. It needs SQLite (compiled from
//! C), so it is the miner's `ocel-sqlite` feature, off by default.
//!
//! A file to import is untrusted: it is opened read-only, a file holding views or triggers
//! (whose SQL would run inside our queries: a recursive view never ends) is refused, the page
//! cache is capped and each query has a time budget.

use crate::log::{Ocel, OcelEvent, OcelObject, Relation};
use crate::time::{format_timestamp, parse_timestamp, Micros, Zone};
use crate::MinerError;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Transaction};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// One row of a per-type attribute table (`event_<map>` or `object_<map>`).
struct TypedRow {
    table: String,
    id: String,
    time: Option<String>,
    values: Vec<(String, Value)>,
}

/// Every row of every per-type table listed in `{prefix}_map_type`.
fn type_table_rows(conn: &Untrusted, prefix: &str) -> Result<Vec<TypedRow>, Failure> {
    let mut maps = conn.prepare(&format!("SELECT ocel_type_map FROM {prefix}_map_type"))?;
    let maps: Vec<String> = maps
        .query_map([], |r| Ok(text(r.get_ref(0)?)))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for map in maps {
        let table = format!("{prefix}_{map}");
        let mut stmt =
            conn.prepare(&format!("SELECT * FROM \"{}\"", table.replace('"', "\"\"")))?;
        let columns: Vec<String> = stmt
            .column_names()
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let mut row = TypedRow {
                table: table.clone(),
                id: String::new(),
                time: None,
                values: Vec::new(),
            };
            for (i, c) in columns.iter().enumerate() {
                match c.as_str() {
                    "ocel_id" => row.id = text(r.get_ref(i)?),
                    "ocel_time" => row.time = Some(text(r.get_ref(i)?)),
                    "ocel_changed_field" => {}
                    _ => row.values.push((c.clone(), json(r.get_ref(i)?))),
                }
            }
            out.push(row);
        }
    }
    Ok(out)
}

/// Qualified relations from a `(source, target, qualifier)` query, grouped by source.
fn read_relations(conn: &Untrusted, sql: &str) -> Result<HashMap<String, Vec<Relation>>, Failure> {
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

/// Longest any one query on an imported file may run.
const QUERY_BUDGET: Duration = Duration::from_secs(60);

/// Largest page cache of an imported file's connection, in KiB.
const CACHE_KIB: i64 = 64 << 10;

/// Opens an untrusted OCEL SQLite file: read-only, tables only, bounded cache, and a time
/// budget restarted before each query.
fn open_untrusted(path: &Path) -> Result<Untrusted, Failure> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.pragma_update(None, "trusted_schema", false)?;
    let budget = Budget::default();
    let deadline = budget.0.clone();
    conn.progress_handler(
        10_000,
        Some(move || {
            let deadline = *deadline.lock().unwrap_or_else(|p| p.into_inner());
            Instant::now() > deadline
        }),
    );
    let code: Vec<(String, String)> = conn
        .prepare("SELECT type, name FROM sqlite_master WHERE type IN ('view', 'trigger')")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    if let Some((kind, name)) = code.first() {
        return Err(Failure::Refused(format!(
            "the file holds a {kind} ({name:?}): an OCEL 2.0 file to import may hold tables only"
        )));
    }
    Ok(Untrusted { conn, budget })
}

/// The deadline of the query running on an imported file.
#[derive(Clone)]
struct Budget(Arc<Mutex<Instant>>);

impl Default for Budget {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Instant::now() + QUERY_BUDGET)))
    }
}

/// A connection to an imported file whose every query gets [`QUERY_BUDGET`].
struct Untrusted {
    conn: Connection,
    budget: Budget,
}

impl Untrusted {
    /// Prepares `sql`, giving it (and the reading of its rows) a fresh budget.
    fn prepare(&self, sql: &str) -> rusqlite::Result<rusqlite::Statement<'_>> {
        *self.budget.0.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now() + QUERY_BUDGET;
        self.conn.prepare(sql)
    }
}

/// Why an OCEL SQLite file could not be read or written.
enum Failure {
    /// SQLite's own error (a query interrupted by its budget among them).
    Sql(rusqlite::Error),
    /// What the file holds that is refused or wrong.
    Refused(String),
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Sql(e)
    }
}

impl Failure {
    /// The error of file `path`, a query interrupted by its budget said as such.
    fn of_file(self, path: &Path) -> MinerError {
        let message = match self {
            Failure::Sql(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                format!(
                    "a query ran past its budget of {} s: the file is too large or malformed",
                    QUERY_BUDGET.as_secs()
                )
            }
            Failure::Sql(e) => e.to_string(),
            Failure::Refused(message) => message,
        };
        MinerError::OcelSqlite {
            path: path.display().to_string(),
            message,
        }
    }
}

/// Reads an OCEL 2.0 SQLite file, untrusted (see the module's doc).
pub fn read_ocel_sqlite(path: &Path) -> Result<Ocel, MinerError> {
    open_untrusted(path)
        .and_then(|conn| read_tables(&conn))
        .map_err(|f| f.of_file(path))
}

fn read_tables(conn: &Untrusted) -> Result<Ocel, Failure> {
    let bad = Failure::Refused;
    let mut ocel = Ocel::default();
    let mut time = |raw: String, what: &str| -> Result<Micros, Failure> {
        let (t, zone) = parse_timestamp(&raw)
            .map_err(|_| bad(format!("{what}: time {raw:?} is not ISO 8601")))?;
        if zone == Zone::AssumedUtc {
            ocel.times_assumed_utc += 1;
        }
        Ok(t)
    };

    // Event attributes and times from the per-type tables.
    let mut event_rows: HashMap<String, (Micros, Map<String, Value>)> = HashMap::new();
    for row in type_table_rows(conn, "event")? {
        let at = row
            .time
            .ok_or_else(|| bad(format!("table {} has no ocel_time", row.table)))?;
        let t = time(at, &format!("event {}", row.id))?;
        event_rows.insert(row.id, (t, row.values.into_iter().collect()));
    }

    let mut relations = read_relations(
        conn,
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

    // Object attribute values over time (NULL means "not changed in this row").
    let mut object_values: HashMap<String, Vec<(String, Micros, Value)>> = HashMap::new();
    for row in type_table_rows(conn, "object")? {
        let at = match row.time {
            Some(t) => time(t, &format!("object table {}", row.table))?,
            None => 0,
        };
        let values = row
            .values
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(c, v)| (c, at, v));
        object_values.entry(row.id).or_default().extend(values);
    }
    let mut links = read_relations(
        conn,
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

/// A table-name-safe form of a type name, unique among `taken` (`Purchase Order` → `PurchaseOrder`).
fn map_name(name: &str, taken: &mut std::collections::HashSet<String>) -> String {
    let base: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let base = if base.is_empty() {
        "Type".to_string()
    } else {
        base
    };
    let mut candidate = base.clone();
    let mut n = 1;
    while !taken.insert(candidate.clone()) {
        n += 1;
        candidate = format!("{base}{n}");
    }
    candidate
}

fn sql_value(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as Sql;
    match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(Sql::Integer)
            .unwrap_or_else(|| Sql::Real(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => Sql::Text(s.clone()),
        other => Sql::Text(other.to_string()),
    }
}

/// Double-quotes an SQL identifier.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Declares each type in `{prefix}_map_type` and creates its attribute table
/// `{prefix}_{map}` (`ocel_id`, `ocel_time`, then `extra`, then one column per attribute).
/// Returns each type's table map name and attributes.
fn type_tables<'a>(
    tx: &Transaction<'_>,
    prefix: &str,
    types: &'a BTreeMap<&'a str, BTreeSet<&'a str>>,
    extra: &str,
    taken: &mut HashSet<String>,
) -> Result<HashMap<&'a str, (String, &'a BTreeSet<&'a str>)>, Failure> {
    let mut tables = HashMap::new();
    for (kind, attributes) in types {
        let map = map_name(kind, taken);
        tx.execute(
            &format!("INSERT INTO {prefix}_map_type VALUES (?1, ?2)"),
            [kind, &map.as_str()],
        )?;
        let columns: String = attributes
            .iter()
            .map(|a| format!(", {}", quote(a)))
            .collect();
        tx.execute_batch(&format!(
            "CREATE TABLE {} (ocel_id TEXT, ocel_time TIMESTAMP{extra}{columns});",
            quote(&format!("{prefix}_{map}"))
        ))?;
        tables.insert(*kind, (map, attributes));
    }
    Ok(tables)
}

/// The events: one row each in `event`, one in its type's attribute table, and their
/// relations to objects.
fn write_events(
    tx: &Transaction<'_>,
    ocel: &Ocel,
    taken: &mut HashSet<String>,
) -> Result<(), Failure> {
    // One attribute table per event type, with the attributes its events carry.
    let mut event_types: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in &ocel.events {
        event_types
            .entry(&e.activity)
            .or_default()
            .extend(e.attributes.keys().map(String::as_str));
    }
    let event_tables = type_tables(tx, "event", &event_types, "", taken)?;
    for e in &ocel.events {
        tx.execute("INSERT INTO event VALUES (?1, ?2)", [&e.id, &e.activity])?;
        let (map, attributes) = &event_tables[e.activity.as_str()];
        let mut values = vec![
            rusqlite::types::Value::Text(e.id.clone()),
            rusqlite::types::Value::Text(format_timestamp(e.timestamp)),
        ];
        values.extend(attributes.iter().map(|a| {
            e.attributes
                .get(*a)
                .map_or(rusqlite::types::Value::Null, sql_value)
        }));
        let marks = vec!["?"; values.len()].join(", ");
        tx.execute(
            &format!(
                "INSERT INTO {} VALUES ({marks})",
                quote(&format!("event_{map}"))
            ),
            rusqlite::params_from_iter(values),
        )?;
        for r in &e.objects {
            tx.execute(
                "INSERT INTO event_object VALUES (?1, ?2, ?3)",
                [&e.id, &r.object, &r.qualifier],
            )?;
        }
    }
    Ok(())
}

/// The objects: one row each in `object`, their attribute values over time in their type's
/// table, and their relations to other objects.
fn write_objects(
    tx: &Transaction<'_>,
    ocel: &Ocel,
    taken: &mut HashSet<String>,
) -> Result<(), Failure> {
    let mut object_types: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for o in &ocel.objects {
        object_types
            .entry(&o.kind)
            .or_default()
            .extend(o.attributes.iter().map(|(n, _, _)| n.as_str()));
    }
    let object_tables = type_tables(
        tx,
        "object",
        &object_types,
        ", ocel_changed_field TEXT",
        taken,
    )?;
    for o in &ocel.objects {
        let (map, attributes) = &object_tables[o.kind.as_str()];
        write_object(tx, o, map, attributes)?;
    }
    Ok(())
}

/// One object: its row, a row of first values per time they were set at, a row per later
/// change, and its relations, into the attribute table `object_{map}` of `attributes`.
fn write_object(
    tx: &Transaction<'_>,
    o: &OcelObject,
    map: &str,
    attributes: &BTreeSet<&str>,
) -> Result<(), Failure> {
    tx.execute("INSERT INTO object VALUES (?1, ?2)", [&o.id, &o.kind])?;
    // Rows with the first value of each attribute, then one row per later change.
    let mut rows: Vec<(i64, Option<&str>, &str, &Value)> = Vec::new();
    for (name, at, value) in &o.attributes {
        let changed = rows.iter().any(|(_, _, n, _)| n == name);
        rows.push((*at, changed.then_some(name.as_str()), name, value));
    }
    let table = quote(&format!("object_{map}"));
    let marks = vec!["?"; 3 + attributes.len()].join(", ");
    let write_row = |time: i64,
                     changed: Option<&str>,
                     values: &dyn Fn(&str) -> Option<Value>|
     -> Result<(), Failure> {
        let mut row = vec![
            rusqlite::types::Value::Text(o.id.clone()),
            rusqlite::types::Value::Text(format_timestamp(time)),
            changed.map_or(rusqlite::types::Value::Null, |c| {
                rusqlite::types::Value::Text(c.to_string())
            }),
        ];
        row.extend(attributes.iter().map(|a| {
            values(a)
                .as_ref()
                .map_or(rusqlite::types::Value::Null, sql_value)
        }));
        tx.execute(
            &format!("INSERT INTO {table} VALUES ({marks})"),
            rusqlite::params_from_iter(row),
        )?;
        Ok(())
    };
    // First values in one row per time they were set at (epoch when there is none), so
    // their times come back.
    let mut first: BTreeMap<i64, HashMap<&str, &Value>> = BTreeMap::new();
    for (at, _, name, value) in rows.iter().filter(|r| r.1.is_none()) {
        first.entry(*at).or_default().insert(name, value);
    }
    if first.is_empty() {
        first.insert(0, HashMap::new());
    }
    for (at, values) in &first {
        write_row(*at, None, &|a| values.get(a).map(|v| (*v).clone()))?;
    }
    for (at, changed, name, value) in rows.iter().filter(|r| r.1.is_some()) {
        write_row(*at, *changed, &|a| (a == *name).then(|| (*value).clone()))?;
    }
    for r in &o.objects {
        tx.execute(
            "INSERT INTO object_object VALUES (?1, ?2, ?3)",
            [&o.id, &r.object, &r.qualifier],
        )?;
    }
    Ok(())
}

/// Writes `ocel` as a new OCEL 2.0 SQLite file at `path` (which must not exist yet).
pub fn write_ocel_sqlite(ocel: &Ocel, path: &Path) -> Result<(), MinerError> {
    if path.exists() {
        return Err(Failure::Refused("already exists; not overwritten".into()).of_file(path));
    }
    write_tables(ocel, path).map_err(|f| f.of_file(path))
}

/// The tables of `ocel` in a new SQLite file at `path`, in one transaction.
fn write_tables(ocel: &Ocel, path: &Path) -> Result<(), Failure> {
    let mut conn = Connection::open(path)?;
    let tx = conn.transaction()?;
    tx.execute_batch(
        "CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
         CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
         CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
         CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
         CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT);
         CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT);",
    )?;
    // `object` would name the tables `event_object` and `object_object`, which hold relations.
    let mut taken: HashSet<String> = ["object".to_string()].into();

    write_events(&tx, ocel, &mut taken)?;
    write_objects(&tx, ocel, &mut taken)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back_the_same() {
        let ocel = crate::formats::ocel_json::read_ocel_json(
            r#"{"objects":[{"id":"o1","type":"Purchase Order","attributes":[{"name":"qty","time":"1970-01-01T00:00:00Z","value":3},{"name":"qty","time":"2026-01-05T09:00:00Z","value":4}],
                 "relationships":[{"objectId":"i1","qualifier":"contains"}]},{"id":"i1","type":"item"}],
                "events":[{"id":"e1","type":"Create PO","time":"2026-01-05T08:00:00Z","attributes":[{"name":"by","value":"Mike"}],
                 "relationships":[{"objectId":"o1","qualifier":"created"}]}]}"#
                .as_bytes(),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.sqlite");
        write_ocel_sqlite(&ocel, &path).unwrap();
        let back = read_ocel_sqlite(&path).unwrap();
        assert_eq!(back.events, ocel.events);
        assert_eq!(back.objects.len(), 2);
        assert_eq!(back.objects[0].objects, ocel.objects[0].objects);
        let qty: Vec<(i64, Value)> = back.objects[0]
            .attributes
            .iter()
            .map(|(_, t, v)| (*t, v.clone()))
            .collect();
        assert_eq!(
            qty,
            vec![
                (0, Value::from(3)),
                (ocel.events[0].timestamp + 3_600_000_000, Value::from(4))
            ]
        );
        assert!(write_ocel_sqlite(&ocel, &path)
            .unwrap_err()
            .to_string()
            .contains("already exists"));
    }

    #[test]
    fn a_file_with_views_or_triggers_is_refused_before_any_query_runs() {
        let dir = tempfile::tempdir().unwrap();
        let endless = "CREATE VIEW event AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x AS ocel_id, 'a' AS ocel_type FROM n";
        let trigger = "CREATE TABLE t(x); CREATE TRIGGER grow AFTER INSERT ON t BEGIN INSERT INTO t VALUES (1); END";
        for (name, sql, kind) in [
            ("view.sqlite", endless, "a view (\"event\")"),
            ("trigger.sqlite", trigger, "a trigger (\"grow\")"),
        ] {
            let path = dir.path().join(name);
            Connection::open(&path).unwrap().execute_batch(sql).unwrap();
            let e = read_ocel_sqlite(&path).unwrap_err().to_string();
            assert!(e.contains(&format!("the file holds {kind}")), "{e}");
        }
    }
}
