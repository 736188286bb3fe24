//! Running totals ([`ProcessAggregate`]) against the exact statistics on every shared real
//! log: counts, totals and means equal; medians, p95, minima and maxima within the sketch's
//! documented relative error; and removing cases leaves exactly the totals of the rest.

use flowsight_miner::discovery::{CaseSteps, ProcessAggregate, ProcessStats};
use flowsight_miner::formats::{maybe_gunzip, xes::read_event_log};
use flowsight_miner::log::EventLog;
use flowsight_miner::performance::{DurationStats, RELATIVE_ERROR};
use std::path::PathBuf;

fn shared_logs() -> Vec<(String, EventLog)> {
    let root = std::env::var_os("FLOWSIGHT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let dir = root.join("fixtures/xes");
    let mut logs = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".xes") || name.ends_with(".xes.gz")) {
            continue;
        }
        let (log, _) = read_event_log(maybe_gunzip(std::fs::File::open(&path).unwrap()).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        logs.push((name, log));
    }
    assert!(
        logs.len() >= 5,
        "the shared logs are missing: {}",
        dir.display()
    );
    logs
}

fn steps(log: &EventLog) -> impl Iterator<Item = CaseSteps<'_>> {
    log.cases().map(|case| CaseSteps {
        activities: case.activities,
        timestamps: case.timestamps,
        lifecycles: case.lifecycles,
        ends: case.ends,
    })
}

fn aggregate(log: &EventLog, keep: impl Fn(usize) -> bool) -> ProcessAggregate {
    let mut totals = ProcessAggregate::default();
    steps(log)
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .for_each(|(_, c)| totals.add(c));
    totals
}

/// The largest relative error among the sketched figures, after checking the exact ones.
fn compare(what: &str, sketched: &DurationStats, exact: &DurationStats) -> f64 {
    assert_eq!(
        (sketched.count, sketched.total, sketched.mean),
        (exact.count, exact.total, exact.mean),
        "{what}: count, total and mean are exact"
    );
    let mut worst: f64 = 0.0;
    for (name, s, x) in [
        ("median", sketched.median, exact.median),
        ("p95", sketched.p95, exact.p95),
        ("min", sketched.min, exact.min),
        ("max", sketched.max, exact.max),
    ] {
        // Whole microseconds: half a microsecond of rounding beside the relative error.
        let allowed = RELATIVE_ERROR * x.abs() as f64 + 1.0;
        let error = (s - x).abs() as f64;
        assert!(error <= allowed, "{what} {name}: sketched {s}, exact {x}");
        if x != 0 {
            worst = worst.max(error / x.abs() as f64);
        }
    }
    worst
}

#[test]
fn running_totals_match_the_exact_statistics_of_every_shared_log() {
    for (name, log) in shared_logs() {
        let exact = ProcessStats::from_log(&log);
        let (first, last) = (exact.first_event, exact.last_event);
        let sketched = aggregate(&log, |_| true).to_stats(
            |a| log.activities().name(a).to_string(),
            first,
            last,
        );
        assert_eq!(
            (sketched.cases, sketched.events),
            (exact.cases, exact.events),
            "{name}"
        );
        assert_eq!(sketched.start_activities, exact.start_activities, "{name}");
        assert_eq!(sketched.end_activities, exact.end_activities, "{name}");
        assert_eq!(sketched.variants, exact.variants, "{name}: variants");
        let mut worst = compare(&name, &sketched.throughput, &exact.throughput);
        assert_eq!(sketched.activities.len(), exact.activities.len(), "{name}");
        for (s, x) in sketched.activities.iter().zip(&exact.activities) {
            assert_eq!(
                (&s.name, s.count, s.cases),
                (&x.name, x.count, x.cases),
                "{name}"
            );
            for (what, a, b) in [
                ("time to next", &s.time_to_next, &x.time_to_next),
                ("service", &s.service, &x.service),
                ("waiting", &s.waiting, &x.waiting),
            ] {
                worst = worst.max(compare(&format!("{name} {} {what}", x.name), a, b));
            }
        }
        assert_eq!(sketched.edges.len(), exact.edges.len(), "{name}");
        for (s, x) in sketched.edges.iter().zip(&exact.edges) {
            assert_eq!((s.from, s.to, s.count), (x.from, x.to, x.count), "{name}");
            worst = worst.max(compare(&format!("{name} edge"), &s.duration, &x.duration));
        }
        eprintln!("{name}: largest relative error of a sketched figure {worst:.5}");
    }
}

#[test]
fn removing_cases_leaves_exactly_the_totals_of_the_rest() {
    for (name, log) in shared_logs() {
        let mut totals = aggregate(&log, |_| true);
        let mut removed = ProcessAggregate::default();
        for case in steps(&log).step_by(3) {
            removed.remove(case);
        }
        totals.merge(&removed);
        assert_eq!(totals, aggregate(&log, |i| i % 3 != 0), "{name}");
    }
}
