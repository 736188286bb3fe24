//! `make bench`: XES import and directly-follows discovery on the BPI Challenge 2012 log.
//!
//! Reports the median of several runs of each stage, beside the `process_mining` crate doing the
//! same on the same file in the same run (reference on a 2-core machine: pm4py ~9.7 s import and
//! ~0.33 s DFG; `process_mining` ~0.41 s and ~0.094 s). Runs alternate between the two so that
//! noise from other load on the machine falls on both alike.

use flowsight_miner::discovery::ProcessStats;
use flowsight_miner::formats::{maybe_gunzip, xes::read_event_log};
use process_mining::core::event_data::case_centric::xes::{import_xes_path, XESImportOptions};
use process_mining::discovery::case_centric::dfg::discover_dfg;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const RUNS: usize = 7;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let path = std::env::var_os("FLOWSIGHT_BENCH_XES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/fixtures/xes/bpic2012.xes.gz")
        });
    let mut import = Vec::new();
    let mut dfg = Vec::new();
    let mut theirs_import = Vec::new();
    let mut theirs_dfg = Vec::new();
    let mut events = 0;
    let mut edges = (0, 0);
    for _ in 0..RUNS {
        let start = Instant::now();
        let file = std::fs::File::open(&path).expect("benchmark log");
        let (log, _) = read_event_log(maybe_gunzip(file).expect("readable")).expect("valid XES");
        import.push(start.elapsed());
        let start = Instant::now();
        let stats = ProcessStats::from_log(&log);
        dfg.push(start.elapsed());
        events = stats.events;
        drop(log);

        let start = Instant::now();
        let reference =
            import_xes_path(&path, XESImportOptions::default()).expect("process_mining reads it");
        theirs_import.push(start.elapsed());
        let start = Instant::now();
        let reference_dfg = discover_dfg(&reference);
        theirs_dfg.push(start.elapsed());
        edges = (
            stats.edges.len(),
            reference_dfg.directly_follows_relations.len(),
        );
    }
    let secs = |v: Vec<Duration>| median(v).as_secs_f64();
    let (ours_i, ours_d, theirs_i, theirs_d) = (
        secs(import),
        secs(dfg),
        secs(theirs_import),
        secs(theirs_dfg),
    );
    println!("bench xes_import   {}: {events} events, median of {RUNS}; DF edges: flowsight {}, process_mining {}", path.display(), edges.0, edges.1);
    println!("  flowsight       import {ours_i:.3} s ({:.0} events/s)   discovery {ours_d:.3} s (DFG + variants + durations)", events as f64 / ours_i);
    println!("  process_mining  import {theirs_i:.3} s ({:.0} events/s)   discovery {theirs_d:.3} s (DFG counts only)", events as f64 / theirs_i);
    println!(
        "  ratio           import {:.2}x   discovery {:.2}x (above 1: flowsight is faster)",
        theirs_i / ours_i,
        theirs_d / ours_d
    );
}
