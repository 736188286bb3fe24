//! `make bench`: XES import and directly-follows discovery on the BPI Challenge 2012 log.
//!
//! Reports the median of several runs of each stage. Reference on a 2-core machine like CI's:
//! pm4py ~9.7 s import and ~0.33 s DFG; the `process_mining` crate ~0.41 s and ~0.094 s.

use flowsight_miner::discovery::ProcessStats;
use flowsight_miner::formats::{maybe_gunzip, xes::read_event_log};
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
    let mut events = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let file = std::fs::File::open(&path).expect("benchmark log");
        let (log, _) = read_event_log(maybe_gunzip(file).expect("readable")).expect("valid XES");
        import.push(start.elapsed());
        let start = Instant::now();
        let stats = ProcessStats::from_log(&log);
        dfg.push(start.elapsed());
        events = stats.events;
        assert_eq!(stats.cases as usize, log.case_count());
    }
    let import = median(import);
    let dfg = median(dfg);
    println!(
        "bench xes_import   {}: {events} events, median of {RUNS}: {:.3} s ({:.0} events/s)",
        path.display(),
        import.as_secs_f64(),
        events as f64 / import.as_secs_f64()
    );
    println!(
        "bench discovery    directly-follows + variants + durations, median of {RUNS}: {:.3} s",
        dfg.as_secs_f64()
    );
    println!(
        "reference (2 cores): process_mining 0.41 s import / 0.094 s DFG; pm4py 9.7 s / 0.33 s"
    );
}
