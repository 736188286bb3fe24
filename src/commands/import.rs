//! `flowsight import FILE`: an event log file into the store, one instance per case.
//! XES (`.xes`, `.xes.gz`), CSV with a column mapping (`.csv`, `.csv.gz`), or OCEL 2.0
//! (`.jsonocel`, `.xmlocel`, `.sqlite`: objects become business keys), or JSON lines of
//! messages mapped by the configuration's rules.

use super::{Rules, StoreArgs};
use crate::progress;
use anyhow::bail;
use collector::discover::read_sample;
use collector::sources::files::{import_file, ImportOptions, ImportReport};
use collector::store::{StatsQuery, Store};
use miner::formats::csv_read::CsvColumns;
use miner::formats::log_format::LogFormat;
use miner::formats::{counted, maybe_gunzip};
use std::path::{Path, PathBuf};

/// Options of `flowsight import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The event log: XES (`.xes`, `.xes.gz`), CSV (`.csv`, `.csv.gz`), OCEL 2.0
    /// (`.jsonocel`, `.xmlocel`, `.sqlite`) or JSON lines of messages (`.ndjson`, `.jsonl`,
    /// mapped by the configuration's rules like the HTTP and Kafka ingest).
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
    /// JSON lines without --config or saved rules: the rules are discovered from this many
    /// first messages (0: keep the defaults), logged, and saved with the store.
    #[arg(long, default_value_t = 10_000)]
    pub discover_sample: usize,
    /// CSV: time format (chrono syntax, e.g. `%d-%m-%Y %H:%M`); detected when absent.
    #[arg(long)]
    pub time_format: Option<String>,
}

impl ImportArgs {
    /// The CSV column mapping the flags give: all three of --case, --activity and
    /// --timestamp, or none (then a CSV file is refused, saying which flags it needs).
    fn csv_columns(&self, format: LogFormat) -> anyhow::Result<Option<CsvColumns>> {
        let needed =
            "importing CSV needs --case, --activity and --timestamp: the columns holding them";
        match (&self.case, &self.activity, &self.timestamp) {
            (Some(case), Some(activity), Some(timestamp)) => Ok(Some(CsvColumns {
                case: case.clone(),
                activity: activity.clone(),
                timestamp: timestamp.clone(),
                start_timestamp: self.start_timestamp.clone(),
                resource: self.resource.clone(),
                time_format: self.time_format.clone(),
            })),
            (None, None, None) if format != LogFormat::Csv => Ok(None),
            _ => bail!(needed),
        }
    }
}

/// Runs `flowsight import`. A store the import created is removed again when the import
/// fails, so a mistake leaves nothing behind.
pub fn run(args: ImportArgs) -> anyhow::Result<()> {
    super::check_input_file(&args.file)?;
    let mut rules = args.store.rules("")?;
    let format = LogFormat::of_file(&args.file, &args.file.to_string_lossy())?;
    let lines = format == LogFormat::JsonLines;
    if rules.defaulted && lines && args.discover_sample > 0 {
        let file = std::fs::File::open(&args.file)?;
        let messages = read_sample(maybe_gunzip(file)?, args.discover_sample)?;
        let origin = format!(
            "the first {} messages of {}",
            messages.len(),
            args.file.display()
        );
        rules = Rules::discovered(&messages, &origin).unwrap_or(rules);
    }
    let location = args.store.location(&rules.config).to_string();
    let created = !location.contains("://") && !Path::new(&location).exists();
    let result = import(&args, &rules, format);
    if result.is_err() && created {
        remove_created_store(Path::new(&location));
    }
    result
}

/// Removes the store directory a failed import created. The store's key filter is filled on a
/// thread of its own, which may still be opening the database (adding a file) while the
/// directory goes: so it tries again, briefly, until the directory is gone.
fn remove_created_store(dir: &Path) {
    for _ in 0..50 {
        if std::fs::remove_dir_all(dir).is_ok() || !dir.exists() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    eprintln!(
        "note: could not remove {} after the failed import",
        dir.display()
    );
}

/// Share of instances an activity must end to be inferred as an end activity.
const END_SHARE: f64 = 0.01;

/// For an event log imported without rules: end activities inferred from the instances now in
/// `store` (the last activity of at least 1 % of them), so that finished cases count as
/// completed rather than stuck, saved with the store as its rules; with a note saying so.
/// Nothing when no activity ends enough instances.
fn infer_end_activities(store: &dyn Store, file: &Path) -> anyhow::Result<Option<String>> {
    let stats = store.process_stats(&StatsQuery::default())?;
    let cases = stats.cases.max(1) as f64;
    let mut ends: Vec<(String, u64)> = stats
        .named_counts(&stats.end_activities)
        .into_iter()
        .filter(|(_, n)| *n as f64 >= END_SHARE * cases)
        .collect();
    ends.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if ends.is_empty() {
        return Ok(None);
    }
    let listed: Vec<String> = ends.iter().map(|(a, n)| format!("{a} ({n})")).collect();
    // A JSON array of strings is a TOML array of basic strings, escapes included.
    let names: Vec<&str> = ends.iter().map(|(a, _)| a.as_str()).collect();
    let text = format!(
        "# End activities inferred from {}: the last activity of at least 1% of its cases.\n[instances]\nend_activities = {}\n",
        file.display(),
        serde_json::to_string(&names)?
    );
    collector::CollectorConfig::parse(&text).map_err(|e| anyhow::anyhow!(e))?;
    store.save_rules(&text)?;
    Ok(Some(format!(
        "note: no end activities given: inferred from the log as the last activity of at least 1% of its cases: {}; other cases count as running or stuck (give --config FILE to say otherwise)",
        listed.join(", ")
    )))
}

fn import(args: &ImportArgs, rules: &Rules, format: LogFormat) -> anyhow::Result<()> {
    let lines = format == LogFormat::JsonLines;
    let store = args.store.open_saving(rules)?;
    let config = &rules.config;
    let name = args
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("log")
        .to_string();
    let options = ImportOptions {
        case_key: args.case_key.clone(),
        csv: args.csv_columns(format)?,
        mapping: config.mapping.clone(),
    };
    let size = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    let bar = progress::bar(size, "importing", true);
    let wrapped = bar.clone();
    let report = import_file(store.as_ref(), &args.file, &name, &options, move |file| {
        Box::new(wrapped.wrap_read(file))
    })?;
    bar.finish_and_clear();
    let keyless = lines && config.mapping.keys.is_empty();
    tell(&args.file, &report, lines, keyless);
    // A log (not a stream of messages) imported without rules gets the end activities its
    // instances show, so that a reader of the store sees its finished cases as completed.
    if rules.defaulted && !lines && report.events > 0 {
        if let Some(note) = infer_end_activities(store.as_ref(), &args.file)? {
            eprintln!("{note}");
        }
    }
    if let Some(keep) = args.store.keep(rules) {
        let deleted = store.retain(keep)?;
        println!(
            "retention: deleted {} idle past --keep ({}) and {} without a key",
            counted(deleted.instances, "instance"),
            counted(deleted.events, "event"),
            counted(deleted.uncorrelated, "event"),
        );
    }
    Ok(())
}

/// Says what the import of `file` did (`lines`: JSON lines of messages, `keyless`: read
/// without business-key rules), with notes on what the reader assumed.
fn tell(file: &Path, report: &ImportReport, lines: bool, keyless: bool) {
    if keyless && report.events > 0 {
        eprintln!(
            "note: no business-key rules are in force, so these events form no process instances: give --config FILE (flowsight discover proposes one; for flowsight generate's stream: fixtures/order-flow.toml)"
        );
    }
    if report.times_assumed_utc > 0 {
        eprintln!(
            "note: {} times had no time zone and were read as UTC",
            report.times_assumed_utc
        );
    }
    if report.undeclared_objects > 0 {
        eprintln!(
            "note: {} related object ids are not in the file's object list; kept as objects of type \"object\"",
            report.undeclared_objects
        );
    }
    let stored = format!(
        "{} new, {} already stored",
        report.inserted, report.duplicates
    );
    let events = counted(report.events, "event");
    if report.e2o > 0 || report.o2o > 0 {
        println!(
            "imported {}: {events}, {}, {} event-object and {} object-object relations ({stored})",
            file.display(),
            counted(report.cases, "object"),
            report.e2o,
            report.o2o,
        );
    } else if lines {
        println!("imported {}: {events} ({stored})", file.display());
    } else {
        println!(
            "imported {}: {}, {events} ({stored})",
            file.display(),
            counted(report.cases, "trace"),
        );
    }
}
