//! `flowsight mine LOG`: discovery on an event log file, as a summary or stable JSON.

use crate::progress;
use anyhow::Context;
use miner::discovery::inductive::inductive_miner;
use miner::discovery::ProcessStats;
use miner::formats::bpmn::write_bpmn;
use miner::formats::log_format::LogFormat;
use miner::formats::summary::LogSummary;
use miner::formats::{maybe_gunzip, xes::read_event_log};
use miner::time::format_duration;
use std::path::{Path, PathBuf};

/// Options of `flowsight mine`.
#[derive(Debug, clap::Args)]
pub struct MineArgs {
    /// The event log: XES (`.xes`, or gzip-compressed `.xes.gz`).
    pub log: PathBuf,
    /// Print `{"cases","events","activities","variants","df_edges","dfg","start_activities","end_activities"}`.
    #[arg(long)]
    pub json: bool,
    /// Discover a structured model with the Inductive Miner (IMf) and write it as BPMN 2.0 here.
    #[arg(long)]
    pub bpmn: Option<PathBuf>,
    /// IMf noise threshold (0–1): 0 keeps every trace fitting; higher ignores rare behaviour.
    #[arg(long, default_value_t = 0.0, value_parser = super::parse_share)]
    pub noise: f64,
}

/// Reads an XES file with a progress bar over its bytes.
pub fn read_xes_file(
    path: &Path,
) -> anyhow::Result<(miner::log::EventLog, miner::formats::xes::XesSummary)> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let bar = progress::bar(file.metadata()?.len(), "reading", true);
    let input = maybe_gunzip(bar.wrap_read(file))?;
    let result = read_event_log(input).with_context(|| {
        format!(
            "reading {} (mine reads XES event logs: .xes, .xes.gz)",
            path.display()
        )
    })?;
    bar.finish_and_clear();
    if result.1.dates_assumed_utc > 0 {
        eprintln!(
            "note: {} dates had no time zone and were read as UTC",
            result.1.dates_assumed_utc
        );
    }
    Ok(result)
}

/// Refuses what `mine` cannot read before reading it: a directory, a missing file, or a file
/// whose ending names another format.
fn check_log(path: &Path) -> anyhow::Result<()> {
    super::check_input_file(path)?;
    let format = LogFormat::of_file(path, &path.to_string_lossy())?;
    if format != LogFormat::Xes {
        anyhow::bail!(
            "{}: {} is not read by mine, which reads XES event logs (.xes, .xes.gz): import OCEL, CSV or JSON lines into a store (flowsight import) and export or serve it",
            path.display(),
            format.label()
        );
    }
    Ok(())
}

/// Runs `flowsight mine`.
pub fn run(args: MineArgs) -> anyhow::Result<()> {
    check_log(&args.log)?;
    let (log, _) = read_xes_file(&args.log)?;
    let stats = ProcessStats::from_log(&log);
    if let Some(path) = &args.bpmn {
        let tree = inductive_miner(&stats, args.noise)?;
        let name = args
            .log
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("process");
        std::fs::write(path, write_bpmn(&tree, name))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("process tree: {tree}");
    }
    if args.json {
        println!("{}", serde_json::to_string(&LogSummary::of(&stats))?);
        return Ok(());
    }
    println!(
        "{}: {} cases, {} events, {} activities, {} variants, {} directly-follows edges",
        args.log.display(),
        stats.cases,
        stats.events,
        stats.activities.len(),
        stats.variants.len(),
        stats.edges.len()
    );
    println!(
        "throughput: median {}, mean {}, 95th percentile {}",
        format_duration(stats.throughput.median),
        format_duration(stats.throughput.mean),
        format_duration(stats.throughput.p95)
    );
    println!("top variants:");
    for v in stats.variants.iter().take(5) {
        println!("  {:>6} × {}", v.count, stats.variant_names(v).join(" → "));
    }
    Ok(())
}
