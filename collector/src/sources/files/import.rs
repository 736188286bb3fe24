//! Importing an event log file into a store: XES, CSV with a column mapping, OCEL 2.0, or JSON
//! lines of raw messages mapped by the same rules as the HTTP and Kafka ingest.
//! The command line and the UI's upload both come here, so a file means the same either way.

use super::{ocel_events, ocel_links, ocel_object_attributes, read_ocel};
use crate::mapping::{cap_event, derive_event_id, map_event, MappingConfig};
use crate::store::{AppendReport, StoreWrite};
use crate::CollectorError;
use miner::formats::csv_read::{read_csv, CsvColumns};
use miner::formats::log_format::LogFormat;
use miner::formats::maybe_gunzip;
use miner::formats::xes::{read_xes, XesEvent, START_TIMESTAMP};
use miner::log::{BusinessKey, Event, CASE_ATTRIBUTE_PREFIX, END_ATTRIBUTE, XES_TYPES_ATTRIBUTE};
use miner::MinerError;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Events per store batch.
const BATCH: usize = 5_000;

/// How to read a file.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Key kind a case id becomes (XES and CSV: each case is one instance).
    pub case_key: String,
    /// CSV column mapping; required for CSV files.
    pub csv: Option<CsvColumns>,
    /// How JSON lines become events (activity, time, business keys).
    pub mapping: MappingConfig,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            case_key: "case".into(),
            csv: None,
            mapping: MappingConfig::default(),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Cases (XES traces with at least one event, as `mine` and pm4py count them; CSV case
    /// ids) or, for OCEL, objects.
    pub cases: u64,
    /// Events read.
    pub events: u64,
    /// OCEL only: event-to-object relations.
    pub e2o: u64,
    /// OCEL only: object-to-object relations linked.
    pub o2o: u64,
    /// OCEL only: related object ids missing from the file's object list (kept, typed `object`).
    pub undeclared_objects: u64,
    /// Events newly stored.
    pub inserted: u64,
    /// Events already stored before (same id).
    pub duplicates: u64,
    /// Times without a zone, read as UTC.
    pub times_assumed_utc: u64,
}

/// Imports the file at `path` (shown to people as `name`). `wrap` may wrap the raw bytes, e.g.
/// in a progress bar; OCEL SQLite files are read in place.
pub fn import_file(
    store: &dyn StoreWrite,
    path: &Path,
    name: &str,
    options: &ImportOptions,
    wrap: impl FnOnce(std::fs::File) -> Box<dyn Read + Send>,
) -> Result<ImportReport, CollectorError> {
    let file_error = |message: String| CollectorError::File {
        path: name.to_string(),
        message,
    };
    let format = LogFormat::of_file(path, name).map_err(|e| file_error(e.to_string()))?;
    if format.is_ocel() {
        return import_ocel(store, path, name, format);
    }
    if format == LogFormat::Csv && options.csv.is_none() {
        return Err(file_error("a CSV file needs a column mapping: which columns hold the case, the activity and the time".into()));
    }
    // All of a file or nothing: it is read through once without storing, so a bad line or a
    // truncated file is refused before anything of it is kept; then it is read again into
    // the store.
    let open = || std::fs::File::open(path).map_err(|e| file_error(e.to_string()));
    let check = maybe_gunzip(open()?).map_err(|e| file_error(e.to_string()))?;
    read_into(name, format, check, options, &mut Batches::new(None))?;
    let input = maybe_gunzip(wrap(open()?)).map_err(|e| file_error(e.to_string()))?;
    let mut batches = Batches::new(Some(store));
    read_into(name, format, input, options, &mut batches)?;
    Ok(batches.report)
}

/// Reads the events of file `name` (XES, CSV with its columns, or JSON lines) from `input`
/// into `batches`.
fn read_into(
    name: &str,
    format: LogFormat,
    input: impl Read,
    options: &ImportOptions,
    batches: &mut Batches<'_>,
) -> Result<(), CollectorError> {
    match (format, options.csv.as_ref()) {
        (LogFormat::Csv, Some(columns)) => {
            import_csv(name, input, columns, &options.case_key, batches)
                .map_err(|e| batches.reader_error(name, e))?;
        }
        (LogFormat::JsonLines, _) => import_json_lines(name, input, &options.mapping, batches)?,
        _ => import_xes(name, input, &options.case_key, batches)
            .map_err(|e| batches.reader_error(name, e))?,
    }
    batches.flush().map_err(|e| batches.reader_error(name, e))
}

/// Collects events into store batches and counts what the store did with them; without a
/// store it only counts (the checking pass of an import).
struct Batches<'a> {
    store: Option<&'a dyn StoreWrite>,
    pending: Vec<Event>,
    report: ImportReport,
    /// The store's error that stopped the file's reader, reported as it is.
    failed: Option<CollectorError>,
}

impl<'a> Batches<'a> {
    fn new(store: Option<&'a dyn StoreWrite>) -> Self {
        Self {
            store,
            pending: Vec::with_capacity(BATCH),
            report: ImportReport::default(),
            failed: None,
        }
    }

    fn push(&mut self, mut event: Event) -> Result<(), MinerError> {
        cap_event(&mut event);
        self.pending.push(event);
        self.report.events += 1;
        if self.pending.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), MinerError> {
        if let Some(store) = self.store {
            let stored: AppendReport = match store.append(&self.pending) {
                Ok(stored) => stored,
                Err(e) => {
                    // The reader stops on any error of its own type; the store's is kept here.
                    let stop = MinerError::Io {
                        what: "the store".into(),
                        source: std::io::Error::other(e.to_string()),
                    };
                    self.failed = Some(e);
                    return Err(stop);
                }
            };
            self.report.inserted += stored.inserted;
            self.report.duplicates += stored.duplicates;
        }
        self.pending.clear();
        Ok(())
    }

    /// A file reader's error as the import reports it: the store's failure that stopped the
    /// reader, or what was wrong with file `name`.
    fn reader_error(&mut self, name: &str, e: MinerError) -> CollectorError {
        self.failed.take().unwrap_or_else(|| CollectorError::File {
            path: name.to_string(),
            message: e.to_string(),
        })
    }
}

/// Each non-blank line is one message (a CloudEvents envelope, say), mapped by `mapping`; the
/// first line that is not JSON or cannot be mapped stops the import, named by its number.
fn import_json_lines(
    name: &str,
    input: impl Read,
    mapping: &MappingConfig,
    batches: &mut Batches<'_>,
) -> Result<(), CollectorError> {
    // Events without an id of their own get one from their content, not the file's name.
    let origin = "file";
    for (i, line) in BufReader::new(input).lines().enumerate() {
        let bad = |message: String| CollectorError::File {
            path: name.to_string(),
            message: format!("line {}: {message}", i + 1),
        };
        let line = line.map_err(|e| bad(e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let message: Value =
            serde_json::from_str(&line).map_err(|e| bad(format!("not JSON: {e}")))?;
        let event =
            map_event(mapping, message, line.as_bytes(), origin).map_err(|e| bad(e.to_string()))?;
        batches
            .push(event)
            .map_err(|e| batches.reader_error(name, e))?;
    }
    Ok(())
}

fn import_xes(
    name: &str,
    input: impl Read,
    case_key: &str,
    batches: &mut Batches<'_>,
) -> Result<(), MinerError> {
    let origin = format!("xes:{name}");
    let (mut trace_no, mut cases) = (0u64, 0u64);
    let summary = read_xes(input, |trace| {
        trace_no += 1;
        cases += u64::from(trace.events().next().is_some());
        let case = trace
            .get("concept:name")
            .map_or_else(|| trace_no.to_string(), |a| a.value.to_string());
        // The trace's attributes travel on its first event, as pm4py's `case:` columns.
        let mut case_attributes: Named = trace
            .json_attributes()
            .into_iter()
            .filter(|(key, _)| key != "concept:name")
            .map(|(key, value)| (format!("{CASE_ATTRIBUTE_PREFIX}{key}"), value))
            .collect();
        let mut case_types: Named = trace
            .json_types()
            .into_iter()
            .map(|(key, record)| (format!("{CASE_ATTRIBUTE_PREFIX}{key}"), record))
            .collect();
        for (i, event) in trace.events().enumerate() {
            let of_case = if i == 0 {
                (
                    std::mem::take(&mut case_attributes),
                    std::mem::take(&mut case_types),
                )
            } else {
                Default::default()
            };
            let key = BusinessKey::new(case_key, &case);
            batches.push(xes_event(&event, i, key, of_case, &origin)?)?;
        }
        Ok(())
    })?;
    batches.report.cases = cases;
    batches.report.times_assumed_utc = summary.dates_assumed_utc;
    Ok(())
}

/// Values by name: a trace's attributes or their XES types, as its first event carries them.
type Named = Vec<(String, Value)>;

/// Event `i` of the trace of case `key` (its first carrying the trace's attributes and types,
/// `of_case`): activity, time (an interval event from its start to its completion), resource
/// (`origin` when none) and every attribute with its XES type.
fn xes_event(
    event: &XesEvent<'_>,
    i: usize,
    key: BusinessKey,
    (case_attributes, case_types): (Named, Named),
    origin: &str,
) -> Result<Event, MinerError> {
    let (mut activity, mut timestamp, mut source) = (String::new(), None, None);
    let mut start = None;
    for a in event.attributes() {
        match a.key {
            "concept:name" => activity = a.value.to_string(),
            "time:timestamp" => timestamp = a.micros,
            START_TIMESTAMP => start = a.micros,
            "org:resource" => source = Some(a.value.to_string()),
            _ => {}
        }
    }
    let mut attributes: Map<String, Value> = event.json_attributes().into_iter().collect();
    let mut types: Map<String, Value> = event.json_types().into_iter().collect();
    attributes.extend(case_attributes);
    types.extend(case_types);
    attributes.insert(XES_TYPES_ATTRIBUTE.into(), Value::Object(types));
    // An interval event is a step that lasts: stored from its start to its completion.
    let (timestamp, end) = match (start, timestamp) {
        (Some(start), Some(end)) => (Some(start), Some(end)),
        (_, t) => (t, None),
    };
    if let Some(end) = end {
        attributes.insert(END_ATTRIBUTE.into(), Value::from(end));
    }
    let case = &key.value;
    let Some(timestamp) = timestamp else {
        return Err(MinerError::Xes {
            line: 0,
            message: format!(
                "event {i} of trace {case:?} has no time:timestamp; the store needs one"
            ),
        });
    };
    Ok(Event {
        // From the event's content and position in its trace, never the file's name, so the
        // same log imported under another name is the same events.
        id: derive_event_id(
            "xes",
            format!("{case}\0{i}\0{activity}\0{timestamp}").as_bytes(),
        ),
        activity,
        timestamp,
        source: source.unwrap_or_else(|| origin.to_string()),
        keys: vec![key],
        trace_id: None,
        span_id: None,
        attributes,
    })
}

fn import_csv(
    name: &str,
    input: impl Read,
    columns: &CsvColumns,
    case_key: &str,
    batches: &mut Batches<'_>,
) -> Result<(), MinerError> {
    let origin = format!("csv:{name}");
    let mut cases = HashSet::new();
    read_csv(input, columns, |row| {
        cases.insert(row.case.clone());
        // From the row's content and position, never the file's name.
        let content = format!(
            "{}\0{}\0{}\0{}",
            row.case, row.activity, row.timestamp, row.line
        );
        batches.push(Event {
            id: derive_event_id("csv", content.as_bytes()),
            activity: row.activity,
            timestamp: row.timestamp,
            source: row.resource.unwrap_or_else(|| origin.clone()),
            keys: vec![BusinessKey::new(case_key, row.case)],
            trace_id: None,
            span_id: None,
            attributes: row.attributes,
        })
    })?;
    batches.report.cases = cases.len() as u64;
    Ok(())
}

/// OCEL 2.0: events keyed by their objects, object-to-object relations as key links.
fn import_ocel(
    store: &dyn StoreWrite,
    path: &Path,
    name: &str,
    format: LogFormat,
) -> Result<ImportReport, CollectorError> {
    let ocel = read_ocel(path, format).map_err(|e| match e {
        CollectorError::File { message, .. } => CollectorError::File {
            path: name.to_string(),
            message,
        },
        other => other,
    })?;
    let origin = format!("ocel:{}", name.split('.').next().unwrap_or(name));
    let mut report = ImportReport {
        cases: ocel.objects.len() as u64,
        events: ocel.events.len() as u64,
        e2o: ocel.e2o_count() as u64,
        times_assumed_utc: ocel.times_assumed_utc,
        ..ImportReport::default()
    };
    let mut events = ocel_events(&ocel, &origin);
    events.iter_mut().for_each(cap_event);
    for batch in events.chunks(BATCH) {
        let stored = store.append(batch)?;
        report.inserted += stored.inserted;
        report.duplicates += stored.duplicates;
    }
    let links = ocel_links(&ocel);
    store.link(&links)?;
    store.set_object_attributes(&ocel_object_attributes(&ocel))?;
    report.o2o = links.len() as u64;
    let declared: HashSet<&str> = ocel.objects.iter().map(|o| o.id.as_str()).collect();
    let related: HashSet<&str> = ocel
        .events
        .iter()
        .flat_map(|e| e.objects.iter())
        .chain(ocel.objects.iter().flat_map(|o| o.objects.iter()))
        .map(|r| r.object.as_str())
        .collect();
    report.undeclared_objects = related.difference(&declared).count() as u64;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::InstanceRules;
    use crate::store::{EmbeddedStore, StoreRead, WriteDouble};
    use std::sync::Arc;

    /// A failing store is named as the cause, not taken for a fault of the file, and nothing of
    /// the file is kept; once the store recovers the same file imports whole.
    #[test]
    fn a_store_failure_is_reported_as_such_and_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log.xes");
        std::fs::write(
            &log,
            r#"<log><trace><string key="concept:name" value="c1"/>
<event><string key="concept:name" value="a"/><date key="time:timestamp" value="2026-01-05T08:00:00Z"/></event>
<event><string key="concept:name" value="b"/><date key="time:timestamp" value="2026-01-05T09:00:00Z"/></event>
</trace></log>"#,
        )
        .unwrap();
        let store = Arc::new(
            EmbeddedStore::open(&dir.path().join("store"), InstanceRules::default()).unwrap(),
        );
        let writes = WriteDouble::new(store.clone());
        writes.fail_with("database or disk is full");
        let import = || {
            import_file(&writes, &log, "log.xes", &ImportOptions::default(), |f| {
                Box::new(f)
            })
        };
        let err = import().unwrap_err();
        assert!(
            matches!(&err, CollectorError::Store(_)) && err.to_string().contains("disk is full"),
            "{err:?}"
        );
        assert_eq!(store.overview().unwrap().events, 0);
        writes.recover();
        assert_eq!(import().unwrap().inserted, 2);
    }
}
