//! `flowsight import FILE`: an event log file into the store, one instance per case.
//! XES (`.xes`, `.xes.gz`), CSV with a column mapping (`.csv`, `.csv.gz`), or OCEL 2.0
//! (`.jsonocel`, `.xmlocel`, `.sqlite`: objects become business keys).

use super::StoreArgs;
use crate::progress;
use anyhow::{bail, Context};
use collector::mapping::derive_event_id;
use collector::sources::files::{is_ocel_file, ocel_events, ocel_links, read_ocel_file};
use collector::store::{AppendReport, Store};
use miner::formats::csv_read::{read_csv, CsvColumns};
use miner::formats::maybe_gunzip;
use miner::formats::xes::{read_xes, AttrKind};
use miner::log::{BusinessKey, Event};
use miner::MinerError;
use serde_json::{Map, Value};
use std::path::PathBuf;

/// Events per store batch.
const BATCH: usize = 5_000;

/// Options of `flowsight import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The event log: XES (`.xes`, `.xes.gz`), CSV (`.csv`, `.csv.gz`) or OCEL 2.0
    /// (`.jsonocel`, `.xmlocel`, `.sqlite`).
    pub file: PathBuf,
    /// Key kind the case id becomes (each case is one instance).
    #[arg(long, default_value = "case")]
    pub case_key: String,
    /// CSV: the case id column.
    #[arg(long)]
    pub case: Option<String>,
    /// CSV: the activity column.
    #[arg(long)]
    pub activity: Option<String>,
    /// CSV: the (completion) time column.
    #[arg(long)]
    pub timestamp: Option<String>,
    /// CSV: an optional start time column.
    #[arg(long)]
    pub start_timestamp: Option<String>,
    /// CSV: an optional resource column (becomes the event's source).
    #[arg(long)]
    pub resource: Option<String>,
    /// CSV: time format (chrono syntax, e.g. `%d-%m-%Y %H:%M`); detected when absent.
    #[arg(long)]
    pub time_format: Option<String>,
}

/// Collects events into store batches and counts what the store did with them.
struct Batches<'a> {
    store: &'a dyn Store,
    pending: Vec<Event>,
    stored: AppendReport,
}

impl Batches<'_> {
    fn push(&mut self, event: Event) -> Result<(), MinerError> {
        self.pending.push(event);
        if self.pending.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), MinerError> {
        let report = self
            .store
            .append(&self.pending)
            .map_err(|e| MinerError::Io {
                what: "the store".into(),
                source: std::io::Error::other(e.to_string()),
            })?;
        self.stored.inserted += report.inserted;
        self.stored.duplicates += report.duplicates;
        self.pending.clear();
        Ok(())
    }
}

/// Runs `flowsight import`.
pub fn run(args: ImportArgs) -> anyhow::Result<()> {
    let config = args.store.load_config("")?;
    let store = args.store.open(&config)?;
    if is_ocel_file(&args.file) {
        return import_ocel(&args, store.as_ref());
    }
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("opening {}", args.file.display()))?;
    let bar = progress::bar(file.metadata()?.len(), "importing", true);
    let name = args
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("log")
        .to_string();
    let input = maybe_gunzip(bar.wrap_read(file))?;
    let mut batches = Batches {
        store: store.as_ref(),
        pending: Vec::with_capacity(BATCH),
        stored: AppendReport::default(),
    };
    let is_csv = name.ends_with(".csv") || name.ends_with(".csv.gz");
    let (cases, events) = if is_csv {
        import_csv(&args, &name, input, &mut batches)?
    } else {
        import_xes(&args, &name, input, &mut batches)?
    };
    batches.flush()?;
    bar.finish_and_clear();
    println!(
        "imported {}: {cases} traces, {events} events ({} new, {} already stored)",
        args.file.display(),
        batches.stored.inserted,
        batches.stored.duplicates
    );
    Ok(())
}

fn import_xes(
    args: &ImportArgs,
    name: &str,
    input: impl std::io::Read,
    batches: &mut Batches<'_>,
) -> anyhow::Result<(u64, u64)> {
    let origin = format!("xes:{name}");
    let mut trace_no = 0u64;
    let summary = read_xes(input, |trace| {
        trace_no += 1;
        let case = trace
            .get("concept:name")
            .map_or_else(|| trace_no.to_string(), |a| a.value.to_string());
        for (i, event) in trace.events().enumerate() {
            let mut attributes = Map::new();
            let mut activity = String::new();
            let mut timestamp = None;
            let mut source = None;
            for a in event.attributes() {
                match a.key {
                    "concept:name" => activity = a.value.to_string(),
                    "time:timestamp" => timestamp = a.micros,
                    "org:resource" => source = Some(a.value.to_string()),
                    _ => {}
                }
                attributes.insert(a.key.to_string(), typed(a.kind, a.value));
            }
            let Some(timestamp) = timestamp else {
                return Err(MinerError::Xes {
                    line: 0,
                    message: format!(
                        "event {i} of trace {case:?} has no time:timestamp; the store needs one"
                    ),
                });
            };
            batches.push(Event {
                id: derive_event_id(&origin, format!("{case}/{i}").as_bytes()),
                activity,
                timestamp,
                source: source.unwrap_or_else(|| origin.clone()),
                keys: vec![BusinessKey::new(&args.case_key, &case)],
                trace_id: None,
                span_id: None,
                attributes,
            })?;
        }
        Ok(())
    })
    .with_context(|| format!("importing {}", args.file.display()))?;
    Ok((summary.traces, summary.events))
}

fn import_csv(
    args: &ImportArgs,
    name: &str,
    input: impl std::io::Read,
    batches: &mut Batches<'_>,
) -> anyhow::Result<(u64, u64)> {
    let (Some(case), Some(activity), Some(timestamp)) =
        (&args.case, &args.activity, &args.timestamp)
    else {
        bail!("importing CSV needs --case, --activity and --timestamp: the columns holding them");
    };
    let columns = CsvColumns {
        case: case.clone(),
        activity: activity.clone(),
        timestamp: timestamp.clone(),
        start_timestamp: args.start_timestamp.clone(),
        resource: args.resource.clone(),
        time_format: args.time_format.clone(),
    };
    let origin = format!("csv:{name}");
    let mut cases = std::collections::HashSet::new();
    let events = read_csv(input, &columns, |row| {
        cases.insert(row.case.clone());
        batches.push(Event {
            id: derive_event_id(&origin, row.line.to_string().as_bytes()),
            activity: row.activity,
            timestamp: row.timestamp,
            source: row.resource.unwrap_or_else(|| origin.clone()),
            keys: vec![BusinessKey::new(&args.case_key, row.case)],
            trace_id: None,
            span_id: None,
            attributes: row.attributes,
        })
    })
    .with_context(|| format!("importing {}", args.file.display()))?;
    Ok((cases.len() as u64, events))
}

/// OCEL 2.0: events keyed by their objects, object-to-object relations as key links.
fn import_ocel(args: &ImportArgs, store: &dyn Store) -> anyhow::Result<()> {
    let ocel = read_ocel_file(&args.file)?;
    let name = args
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("log");
    let origin = format!("ocel:{}", name.split('.').next().unwrap_or(name));
    let mut stored = AppendReport::default();
    for batch in ocel_events(&ocel, &origin).chunks(BATCH) {
        let report = store.append(batch)?;
        stored.inserted += report.inserted;
        stored.duplicates += report.duplicates;
    }
    let links = ocel_links(&ocel);
    store.link(&links)?;
    if ocel.times_assumed_utc > 0 {
        eprintln!(
            "note: {} times had no time zone and were read as UTC",
            ocel.times_assumed_utc
        );
    }
    println!(
        "imported {}: {} events, {} objects, {} event-object and {} object-object relations ({} new, {} already stored)",
        args.file.display(),
        ocel.events.len(),
        ocel.objects.len(),
        ocel.e2o_count(),
        links.len(),
        stored.inserted,
        stored.duplicates
    );
    Ok(())
}

fn typed(kind: AttrKind, value: &str) -> Value {
    match kind {
        AttrKind::Int => value
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| value.into()),
        AttrKind::Float => value
            .trim()
            .parse::<f64>()
            .map(Value::from)
            .unwrap_or_else(|_| value.into()),
        AttrKind::Boolean => Value::Bool(matches!(value.trim(), "true" | "TRUE" | "True" | "1")),
        _ => Value::String(value.to_string()),
    }
}
