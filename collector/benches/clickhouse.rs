//! Where to switch stores: ingest rate into ClickHouse up to 10 million generated events, and
//! the time of what pages ask, on ClickHouse beside the embedded store: the map query
//! (directly-follows counts and durations, variants, throughput, service and waiting times:
//! the map, variants and bottlenecks pages), the overview (header counts), the first page of
//! instances, and the map of the last day (a filtered view).
//!
//! Needs a ClickHouse server: `make bench` runs it under scripts/with-clickhouse.sh, whose
//! two-shard cluster is measured too (both shards on this machine: the overhead of
//! Distributed tables, not a speed-up). `FLOWSIGHT_BENCH_CH_EVENTS` (default 10,000,000),
//! `FLOWSIGHT_BENCH_CLUSTER_EVENTS` (default 2,000,000) and `FLOWSIGHT_BENCH_EMBEDDED_EVENTS`
//! (default 10,000,000) set the largest sizes.

mod support;

use fixtures::ORDER_FLOW_CONFIG;
use flowsight_collector::store::{
    CaseFilter, ClickHouseStore, ClickHouseUrl, EmbeddedStore, InstanceQuery, StatsQuery, Store,
};
use flowsight_collector::CollectorConfig;
use std::time::{Duration, Instant};

/// Events per store batch, as a Kafka or file source hands them over.
const BATCH: usize = 50_000;
/// Sizes at which the map query is timed.
const CHECKPOINTS: [usize; 4] = [1_000_000, 2_000_000, 5_000_000, 10_000_000];

fn size(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// The best of three runs of `query` (the first run also warms caches).
fn best_of_three<T>(mut query: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut answer = query();
    for _ in 0..3 {
        let started = Instant::now();
        answer = query();
        best = best.min(started.elapsed());
    }
    (best, answer)
}

/// Times what the pages ask of `store` and prints it.
fn time_pages(name: &str, stored: usize, ingest: Duration, store: &dyn Store) {
    let (map, stats) = best_of_three(|| {
        store
            .process_stats(&StatsQuery::default())
            .expect("map query")
    });
    let (overview, _) = best_of_three(|| store.overview().expect("overview"));
    let (instances, _) = best_of_three(|| {
        store
            .instances(&InstanceQuery::default())
            .expect("instance page")
    });
    const DAY: i64 = 86_400_000_000;
    let last_day = StatsQuery {
        cases: CaseFilter {
            from: stats.last_event.map(|t| t - DAY),
            ..Default::default()
        },
        ..Default::default()
    };
    let (filtered, _) = best_of_three(|| store.process_stats(&last_day).expect("filtered map"));
    let held = store
        .held_in_memory()
        .map_or((0, 0), |h| (h.instances, h.keys));
    println!(
        "{name}: {stored} events ({} instances, {} live, {} keys in memory): ingest {:.0} events/s \
         so far; map query {:.3} s, overview {:.3} s, instance page {:.3} s, last day's map {:.3} s",
        stats.cases,
        held.0,
        held.1,
        stored as f64 / ingest.as_secs_f64(),
        map.as_secs_f64(),
        overview.as_secs_f64(),
        instances.as_secs_f64(),
        filtered.as_secs_f64(),
    );
}

/// Fills `store` slice by slice up to `target` events, timing the pages at each checkpoint.
fn run(name: &str, store: &dyn Store, config: &CollectorConfig, target: usize) {
    let mut stored = 0usize;
    let mut ingest = Duration::ZERO;
    let mut checkpoints = CHECKPOINTS.iter().filter(|&&c| c <= target).peekable();
    let mut k = 0;
    while let Some(&&next) = checkpoints.peek() {
        let events = support::slice(config, k);
        k += 1;
        let started = Instant::now();
        for batch in events.chunks(BATCH) {
            store.append(batch).expect("append");
        }
        ingest += started.elapsed();
        stored += events.len();
        if stored >= next {
            checkpoints.next();
            time_pages(name, stored, ingest, store);
        }
    }
}

fn main() {
    let server = std::env::var("FLOWSIGHT_CLICKHOUSE").expect(
        "FLOWSIGHT_CLICKHOUSE names no server: run under scripts/with-clickhouse.sh (make bench)",
    );
    let config = CollectorConfig::parse(ORDER_FLOW_CONFIG).expect("demo config");
    let url = ClickHouseUrl::parse(&format!(
        "{}/bench_{}",
        server.trim_end_matches('/'),
        std::process::id()
    ))
    .expect("server address");
    let clickhouse =
        ClickHouseStore::open(&url, config.instances.clone()).expect("ClickHouse store");
    run(
        "clickhouse",
        &clickhouse,
        &config,
        size("FLOWSIGHT_BENCH_CH_EVENTS", 10_000_000),
    );
    if let Ok(cluster) = std::env::var("FLOWSIGHT_CLICKHOUSE_CLUSTER") {
        let url = ClickHouseUrl::parse(&format!(
            "{}/bench_cluster_{}?{cluster}",
            server.trim_end_matches('/'),
            std::process::id()
        ))
        .expect("cluster address");
        let store = ClickHouseStore::open(&url, config.instances.clone()).expect("cluster store");
        run(
            "clickhouse cluster (2 shards, same machine)",
            &store,
            &config,
            size("FLOWSIGHT_BENCH_CLUSTER_EVENTS", 2_000_000),
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let embedded =
        EmbeddedStore::open(dir.path(), config.instances.clone()).expect("embedded store");
    run(
        "embedded",
        &embedded,
        &config,
        size("FLOWSIGHT_BENCH_EMBEDDED_EVENTS", 10_000_000),
    );
}
