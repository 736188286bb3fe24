//! `flowsight export WHAT`: the same files the UI's download links give.

use super::StoreArgs;
use crate::progress;
use anyhow::Context;
use collector::store::Store;
use miner::formats::counted;
use miner::formats::csv::Cells;
use std::path::{Path, PathBuf};
use web::reports::table::{cli_name, Export, ExportRequest, Format, What};
use web::reports::{self, MapRequest};

/// Options of `flowsight export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// What to export.
    pub what: What,
    /// File format (default: svg for the map, html for the report, bpmn for the model, xes for the
    /// log, csv otherwise).
    #[arg(long)]
    pub format: Option<Format>,
    /// Output file (default: standard output).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// The map's settings and which instances, as the UI's map and filter bar take them.
    #[command(flatten)]
    pub map: MapRequest,
    /// Instances only: business key value or kind=value.
    #[arg(long)]
    pub search: Option<String>,
    /// CSV: write cells a spreadsheet would run as a formula (starting with = + - @, a tab or
    /// a carriage return) as they are, for machine consumers; by default they get a leading `'`.
    #[arg(long)]
    pub raw_cells: bool,
    /// Model only: the Inductive Miner's noise threshold (0–1).
    #[arg(long, default_value_t = 0.0, value_parser = super::parse_share)]
    pub noise: f64,
}

/// Runs `flowsight export`.
pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let config = args.store.rules("")?.config;
    let store = args.store.open_existing(&config)?;
    let format = args.format.unwrap_or(args.what.default_format());
    let export = Export::find(args.what, format)?;
    let selection = reports::Selection {
        search: args.search.clone(),
        cases: args.map.filters.resolve()?,
        ..Default::default()
    };
    let request = ExportRequest {
        map: args.map.clone(),
        selection,
        cells: if args.raw_cells {
            Cells::Raw
        } else {
            Cells::Neutralized
        },
        noise: args.noise,
        now: miner::time::now_micros(),
    };
    let sqlite_out = args
        .out
        .as_ref()
        .filter(|p| p.extension().is_some_and(|e| e == "sqlite"));
    let detail = match (format, sqlite_out) {
        (Format::Ocel, Some(path)) => write_ocel_sqlite(store.as_ref(), &request.selection, path)?,
        _ => write(&export, store.as_ref(), &request, args.out.as_deref())?,
    };
    if let Some(path) = &args.out {
        let size = std::fs::metadata(path)?.len();
        eprintln!(
            "wrote {detail} to {} ({})",
            path.display(),
            indicatif::HumanBytes(size)
        );
    } else if export.is_log() {
        eprintln!("exported {detail}");
    }
    Ok(())
}

/// Writes `export` to `out` (standard output when none) and says what it wrote. A log is
/// written while it is read; any other export is made whole first, so a failure leaves no
/// partial file.
fn write(
    export: &Export,
    store: &dyn Store,
    request: &ExportRequest,
    out: Option<&Path>,
) -> anyhow::Result<String> {
    let create = |path: &Path| {
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))
    };
    let format = cli_name(export.format);
    if export.is_log() {
        let sink: Box<dyn std::io::Write> = match out {
            Some(path) => Box::new(create(path)?),
            None => Box::new(std::io::stdout().lock()),
        };
        let traces = export.write(store, request, std::io::BufWriter::new(sink))?;
        return Ok(format!(
            "{} as {format}",
            counted(traces.unwrap_or(0), "instance")
        ));
    }
    let mut bytes = Vec::new();
    export.write(store, request, &mut bytes)?;
    match out {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::Write::write_all(&mut std::io::stdout().lock(), &bytes)?,
    }
    Ok(format!("{} as {format}", cli_name(export.what)))
}

/// The selected instances' events, objects and relations as an OCEL 2.0 SQLite file.
fn write_ocel_sqlite(
    store: &dyn Store,
    selection: &reports::Selection,
    path: &Path,
) -> anyhow::Result<String> {
    let spinner = progress::spinner("reading the store");
    let ocel = reports::ocel_of_store(store, selection)?;
    let detail = format!(
        "{} and {} as OCEL 2.0 SQLite",
        counted(ocel.events.len() as u64, "event"),
        counted(ocel.objects.len() as u64, "object")
    );
    spinner.set_message(format!("writing {detail}"));
    miner::formats::ocel_sqlite::write_ocel_sqlite(&ocel, path)?;
    spinner.finish_and_clear();
    Ok(detail)
}
