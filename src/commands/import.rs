//! `flowsight import FILE`: an XES log into the store, one instance per trace.

use super::StoreArgs;
use crate::progress;
use anyhow::Context;
use collector::mapping::derive_event_id;
use collector::store::Store;
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
    /// The event log: XES (`.xes` or `.xes.gz`).
    pub file: PathBuf,
    /// Key kind the trace name becomes (each trace is one instance).
    #[arg(long, default_value = "case")]
    pub case_key: String,
}

/// Runs `flowsight import`.
pub fn run(args: ImportArgs) -> anyhow::Result<()> {
    let config = args.store.load_config("")?;
    let store = args.store.open(&config)?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("opening {}", args.file.display()))?;
    let bar = progress::bar(file.metadata()?.len(), "importing", true);
    let origin = format!(
        "xes:{}",
        args.file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("log")
    );
    let mut batch: Vec<Event> = Vec::with_capacity(BATCH);
    let mut stored = collector::store::AppendReport::default();
    let mut flush = |batch: &mut Vec<Event>| -> Result<(), MinerError> {
        let report = store.append(batch).map_err(|e| MinerError::Io {
            what: "store".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        stored.inserted += report.inserted;
        stored.duplicates += report.duplicates;
        batch.clear();
        Ok(())
    };
    let mut trace_no = 0u64;
    let summary = read_xes(maybe_gunzip(bar.wrap_read(file))?, |trace| {
        trace_no += 1;
        let case = trace
            .get("concept:name")
            .map_or_else(|| trace_no.to_string(), |a| a.value.to_string());
        for (i, event) in trace.events().enumerate() {
            let mut attributes = Map::new();
            let mut activity = String::new();
            let mut timestamp = None;
            for a in event.attributes() {
                match a.key {
                    "concept:name" => activity = a.value.to_string(),
                    "time:timestamp" => timestamp = a.micros,
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
            batch.push(Event {
                id: derive_event_id(&origin, format!("{case}/{i}").as_bytes()),
                activity,
                timestamp,
                source: origin.clone(),
                keys: vec![BusinessKey::new(&args.case_key, &case)],
                trace_id: None,
                span_id: None,
                attributes,
            });
        }
        if batch.len() >= BATCH {
            flush(&mut batch)?;
        }
        Ok(())
    })
    .with_context(|| format!("importing {}", args.file.display()))?;
    flush(&mut batch)?;
    bar.finish_and_clear();
    println!(
        "imported {}: {} traces, {} events ({} new, {} already stored)",
        args.file.display(),
        summary.traces,
        summary.events,
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
