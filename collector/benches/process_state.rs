//! What a page costs as history grows: the embedded store filled with the generated order
//! flow up to 10 million events, timing at 1, 2, 5 and 10 million the answers pages read —
//! the unfiltered statistics behind `/map`, `/variants` and `/bottlenecks` (from the running
//! totals), the overview in every page's header, the first page of instances, and a
//! time-filtered map (from the per-instance rows) — beside the ingest rate with the state kept.
//!
//! `FLOWSIGHT_BENCH_STATE_EVENTS` (default 10,000,000) sets the largest size.

mod support;

use fixtures::ORDER_FLOW_CONFIG;
use flowsight_collector::store::{
    CaseFilter, EmbeddedStore, InstanceQuery, StatsQuery, StoreRead, StoreWrite,
};
use flowsight_collector::CollectorConfig;
use std::time::{Duration, Instant};

/// Events per store batch, as a Kafka or file source hands them over.
const BATCH: usize = 50_000;
/// Sizes at which the answers are timed.
const CHECKPOINTS: [usize; 4] = [1_000_000, 2_000_000, 5_000_000, 10_000_000];

/// Best of three runs of `f` (the first also warms caches).
fn best<T>(mut f: impl FnMut() -> T) -> Duration {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let target: usize = std::env::var("FLOWSIGHT_BENCH_STATE_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000_000);
    let config = CollectorConfig::parse(ORDER_FLOW_CONFIG).expect("demo config");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(dir.path(), config.instances.clone()).expect("store");
    let (mut stored, mut ingest, mut k) = (0usize, Duration::ZERO, 0);
    let mut checkpoints = CHECKPOINTS.iter().filter(|&&c| c <= target).peekable();
    println!("| events | ingest so far | map, variants, bottlenecks | overview | instances page | map of one day |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    while let Some(&&next) = checkpoints.peek() {
        let events = support::slice(&config, k);
        k += 1;
        let started = Instant::now();
        for batch in events.chunks(BATCH) {
            store.append(batch).expect("append");
        }
        ingest += started.elapsed();
        stored += events.len();
        if stored < next {
            continue;
        }
        checkpoints.next();
        let stats = store.process_stats(&StatsQuery::default()).expect("stats");
        let day_start = stats.last_event.unwrap_or(0) - 86_400_000_000;
        let one_day = StatsQuery {
            cases: CaseFilter {
                from: Some(day_start),
                ..Default::default()
            },
            activities: None,
        };
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
        println!(
            "| {stored} | {:.0} events/s | {} | {} | {} | {} |",
            stored as f64 / ingest.as_secs_f64(),
            ms(best(|| store.process_stats(&StatsQuery::default()))),
            ms(best(|| store.overview())),
            ms(best(|| store.instances(&InstanceQuery::default()))),
            ms(best(|| store.process_stats(&one_day))),
        );
    }
}
