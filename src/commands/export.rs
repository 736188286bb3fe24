//! `flowsight export WHAT`: the same files the UI's download links give.

use super::StoreArgs;
use crate::progress;
use anyhow::{bail, Context};
use miner::formats::counted;
use miner::formats::csv::Cells;
use std::path::PathBuf;
use web::reports::{self, MapRequest, MapView};

/// What to export.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum What {
    /// The process map (SVG, PNG).
    Map,
    /// A self-contained HTML report: key figures, map, top variants, bottlenecks.
    Report,
    /// A structured model (Inductive Miner, IMf) as BPMN 2.0 with diagram.
    Model,
    /// The directly-follows graph with counts and times (CSV, JSON).
    Dfg,
    /// Variants with counts and durations (CSV, JSON).
    Variants,
    /// Bottleneck rankings (CSV, JSON).
    Bottlenecks,
    /// Instances with status (CSV, JSON).
    Instances,
    /// The events of every instance as an event log, one trace per instance (XES, CSV, OCEL 2.0).
    Log,
}

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values.
    Csv,
    /// JSON.
    Json,
    /// SVG drawing (map only).
    Svg,
    /// PNG picture (map only).
    Png,
    /// IEEE XES event log (log only).
    Xes,
    /// Self-contained HTML (report only).
    Html,
    /// BPMN 2.0 XML (model only).
    Bpmn,
    /// OCEL 2.0 (log only): business keys as objects; SQLite when `--out` ends in `.sqlite`,
    /// JSON otherwise.
    Ocel,
}

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
    let request = args.map.clone();
    let format = args.format.unwrap_or(match args.what {
        What::Map => Format::Svg,
        What::Log => Format::Xes,
        What::Report => Format::Html,
        What::Model => Format::Bpmn,
        _ => Format::Csv,
    });
    let selection = reports::Selection {
        search: args.search.clone(),
        cases: args.map.filters.resolve()?,
        ..Default::default()
    };
    let pretty =
        |v: serde_json::Value| serde_json::to_string_pretty(&v).expect("json values serialize");
    let view = || MapView::compute(store.as_ref(), &request);
    let written = |detail: String| -> anyhow::Result<()> {
        if let Some(path) = &args.out {
            let size = std::fs::metadata(path)?.len();
            eprintln!(
                "wrote {detail} to {} ({})",
                path.display(),
                indicatif::HumanBytes(size)
            );
        }
        Ok(())
    };
    let cells = if args.raw_cells {
        Cells::Raw
    } else {
        Cells::Neutralized
    };
    let what_as = format!("{} as {}", cli_name(args.what), cli_name(format));
    if let (What::Map, Format::Png) = (args.what, format) {
        let png = reports::svg_to_png(&MapView::compute(store.as_ref(), &request)?.svg())?;
        match &args.out {
            Some(path) => {
                std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))?
            }
            None => std::io::Write::write_all(&mut std::io::stdout().lock(), &png)?,
        }
        return written(what_as);
    }
    let sqlite_out = args
        .out
        .as_ref()
        .filter(|p| p.extension().is_some_and(|e| e == "sqlite"));
    if let (What::Log, Format::Ocel, Some(path)) = (args.what, format, sqlite_out) {
        let spinner = progress::spinner("reading the store");
        let ocel = reports::ocel_of_store(store.as_ref(), &selection)?;
        spinner.set_message(format!(
            "writing {} and {} as OCEL 2.0 SQLite",
            counted(ocel.events.len() as u64, "event"),
            counted(ocel.objects.len() as u64, "object")
        ));
        collector::sources::files::write_ocel_sqlite(&ocel, path)?;
        spinner.finish_and_clear();
        return written(format!(
            "{} and {} as OCEL 2.0 SQLite",
            counted(ocel.events.len() as u64, "event"),
            counted(ocel.objects.len() as u64, "object")
        ));
    }
    if let (What::Log, Format::Xes | Format::Csv | Format::Ocel) = (args.what, format) {
        let out: Box<dyn std::io::Write> = match &args.out {
            Some(path) => Box::new(
                std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?,
            ),
            None => Box::new(std::io::stdout().lock()),
        };
        let out = std::io::BufWriter::new(out);
        let store = store.as_ref();
        let traces = match format {
            Format::Xes => reports::write_xes(store, &selection, out)?,
            Format::Csv => reports::write_events_csv(store, &selection, cells, out)?,
            Format::Ocel => {
                let ocel = reports::ocel_of_store(store, &selection)?;
                serde_json::to_writer(out, &miner::formats::ocel_json::write_ocel_json(&ocel))?;
                ocel.objects.len() as u64
            }
            _ => unreachable!("the formats matched above"),
        };
        let detail = format!("{} as {}", counted(traces, "instance"), cli_name(format));
        if args.out.is_none() {
            eprintln!("exported {detail}");
        }
        return written(detail);
    }
    let text = match (args.what, format) {
        (What::Map, Format::Svg) => view()?.svg(),
        (What::Report, Format::Html) => view()?.html_report(miner::time::now_micros())?,
        (What::Model, Format::Bpmn) => reports::bpmn(&view()?.full, args.noise)?,
        (What::Dfg, Format::Csv) => reports::dfg_csv(&view()?.shown, cells),
        (What::Dfg, Format::Json) => pretty(reports::dfg_json(&view()?.shown)),
        (What::Variants, Format::Csv) => reports::variants_csv(&view()?.full, cells),
        (What::Variants, Format::Json) => pretty(reports::variants_json(&view()?.full)),
        (What::Bottlenecks, Format::Csv) => reports::bottlenecks_csv(&view()?.bottlenecks(), cells),
        (What::Bottlenecks, Format::Json) => {
            pretty(reports::bottlenecks_json(&view()?.bottlenecks()))
        }
        (What::Instances, Format::Csv) => {
            reports::instances_csv(store.as_ref(), &selection, cells)?
        }
        (What::Instances, Format::Json) => {
            pretty(reports::instances_json(store.as_ref(), &selection)?)
        }
        (what, format) => {
            bail!(
                "{} cannot be exported as {}: the map is svg or png, the model bpmn, the report html, the log xes, csv or ocel, the rest csv or json",
                cli_name(what),
                cli_name(format)
            )
        }
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            written(what_as)?
        }
        None => std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?,
    }
    Ok(())
}

/// How the command line spells `value` (`csv`, `instances`), for messages.
fn cli_name(value: impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}
