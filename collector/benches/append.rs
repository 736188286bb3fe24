//! Embedded store write throughput: the generated order flow appended in source-sized batches,
//! durable on return (each batch one transaction, synchronous=FULL).

use fixtures::{generate, Scenario, ORDER_FLOW_CONFIG};
use flowsight_collector::mapping::map_event;
use flowsight_collector::store::{EmbeddedStore, Store};
use flowsight_collector::CollectorConfig;
use std::time::Instant;

fn main() {
    let orders: usize = std::env::var("FLOWSIGHT_BENCH_ORDERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(25_000);
    let config = CollectorConfig::parse(ORDER_FLOW_CONFIG).expect("demo config");
    let flow = generate(&Scenario {
        orders,
        ..Scenario::default()
    });
    let events: Vec<_> = flow
        .events
        .iter()
        .map(|e| {
            let value = serde_json::to_value(e).expect("envelopes serialize");
            map_event(&config.mapping, value, b"", "bench").expect("generated events map")
        })
        .collect();
    for batch in [10_000, 50_000] {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = EmbeddedStore::open(dir.path(), config.instances.clone()).expect("store");
        let started = Instant::now();
        for chunk in events.chunks(batch) {
            store.append(chunk).expect("append");
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "embedded store append, batches of {batch}: {} events in {secs:.2} s = {:.0} events/s",
            events.len(),
            events.len() as f64 / secs
        );
    }
}
