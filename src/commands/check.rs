//! `flowsight check LOG --model MODEL.bpmn`: how well an event log follows a reference model,
//! from optimal alignments per variant, with pm4py's fitness figures and the deviations named.

use super::mine::read_xes_file;
use anyhow::Context;
use miner::conformance::{check_log, read_bpmn, Conformance, DEFAULT_STATE_BUDGET};
use std::path::PathBuf;

/// Options of `flowsight check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The event log: XES (`.xes`, `.xes.gz`).
    pub log: PathBuf,
    /// The reference model: BPMN 2.0 (as drawn in Camunda Modeler or bpmn.io, or exported by
    /// `flowsight mine --bpmn`).
    #[arg(long)]
    pub model: PathBuf,
    /// Print `{"traces","fitting_traces","average_trace_fitness","percentage_fitting_traces",…}`.
    #[arg(long)]
    pub json: bool,
    /// Most search states one variant's alignment may take; beyond, it is marked not computed.
    #[arg(long, default_value_t = DEFAULT_STATE_BUDGET)]
    pub budget: usize,
}

/// Runs `flowsight check`.
pub fn run(args: CheckArgs) -> anyhow::Result<()> {
    super::check_input_file(&args.log)?;
    super::check_input_file(&args.model)?;
    let text = std::fs::read_to_string(&args.model)
        .with_context(|| format!("reading {}", args.model.display()))?;
    let model = read_bpmn(&text).with_context(|| format!("reading {}", args.model.display()))?;
    let (log, _) = read_xes_file(&args.log)?;
    let result = check_log(&log, &model, args.budget).with_context(|| {
        format!(
            "checking {} against {}",
            args.log.display(),
            args.model.display()
        )
    })?;
    for note in &result.notes {
        eprintln!("note: {note}");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print!("{}", summary(&result));
    }
    Ok(())
}

/// The figures and the most frequent deviations, for a terminal.
fn summary(r: &Conformance) -> String {
    use std::fmt::Write;
    let mut out = format!(
        "{} traces ({} variants): {} fit the model ({:.1}%), average trace fitness {:.4}\n",
        r.traces,
        r.variants,
        r.fitting_traces,
        r.percentage_fitting_traces,
        r.average_trace_fitness
    );
    if r.not_computed_variants > 0 {
        let _ = writeln!(
            out,
            "not computed: {} variants ({} traces) needed more than the state budget (--budget)",
            r.not_computed_variants, r.not_computed_traces
        );
    }
    for d in r.deviations.iter().take(20) {
        let _ = writeln!(
            out,
            "  {:>7} traces: {} {}",
            d.traces,
            d.activity,
            d.kind.describe()
        );
    }
    if !r.activities_not_in_model.is_empty() {
        let _ = writeln!(
            out,
            "activities no task records: {}",
            r.activities_not_in_model.join(", ")
        );
    }
    if !r.tasks_not_in_log.is_empty() {
        let _ = writeln!(
            out,
            "tasks no event records: {}",
            r.tasks_not_in_log.join(", ")
        );
    }
    out
}
