//! Embedded store write throughput: the generated order flow appended in source-sized batches,
//! durable on return (each batch one transaction, synchronous=FULL).
//!
//! Besides the flow in time order, it replays the order a Kafka consumer sees: the events spread
//! over three partitions by order key (as `tests/kafka/produce.py` publishes them) and read a
//! partition's fetch at a time, so events that link instances often arrive a batch late and
//! merge instances stored before. That order is what `make bench`'s Kafka run writes.

use fixtures::{generate, Scenario, ORDER_FLOW_CONFIG};
use flowsight_collector::mapping::map_event;
use flowsight_collector::store::{EmbeddedStore, StoreWrite};
use flowsight_collector::CollectorConfig;
use miner::log::Event;
use serde_json::Value;
use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

/// Partitions of the replayed topic.
const PARTITIONS: usize = 3;
/// Messages per partition fetch: about librdkafka's 1 MiB per partition for these events.
const FETCH: usize = 2_000;

fn main() {
    let orders: usize = std::env::var("FLOWSIGHT_BENCH_ORDERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(25_000);
    let rounds: usize = std::env::var("FLOWSIGHT_BENCH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let config = CollectorConfig::parse(ORDER_FLOW_CONFIG).expect("demo config");
    let flow = generate(&Scenario {
        orders,
        ..Scenario::default()
    });
    let mut in_time_order = Vec::new();
    let mut partitions = vec![VecDeque::new(); PARTITIONS];
    for envelope in &flow.events {
        let value = serde_json::to_value(envelope).expect("envelopes serialize");
        let partition = partition_of(&value);
        let event = map_event(&config.mapping, value, b"", "bench").expect("generated events map");
        partitions[partition].push_back(event.clone());
        in_time_order.push(event);
    }
    let in_kafka_order = fetch_order(partitions);
    let runs: [(&str, &[Event], usize); 3] = [
        ("time order, batches of 10000", &in_time_order, 10_000),
        ("time order, batches of 50000", &in_time_order, 50_000),
        ("Kafka order, batches of 50000", &in_kafka_order, 50_000),
    ];
    for _ in 0..rounds {
        for (name, events, batch) in runs {
            let dir = tempfile::tempdir().expect("temp dir");
            let store = EmbeddedStore::open(dir.path(), config.instances.clone()).expect("store");
            let started = Instant::now();
            let mut merges = 0;
            for chunk in events.chunks(batch) {
                merges += store.append(chunk).expect("append").merges;
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "embedded store append, {name}: {} events in {secs:.2} s = {:.0} events/s ({merges} merges)",
                events.len(),
                events.len() as f64 / secs
            );
        }
    }
}

/// The partition `tests/kafka/produce.py` sends an envelope to: by its first order-like id.
fn partition_of(envelope: &Value) -> usize {
    let key = ["orderId", "refId", "paymentId", "pickId", "shipmentId"]
        .iter()
        .find_map(|field| envelope.pointer(&format!("/data/{field}")))
        .map(Value::to_string)
        .unwrap_or_default();
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    (hasher.finish() % PARTITIONS as u64) as usize
}

/// The order a consumer reads the partitions in: a fetch from each in turn.
fn fetch_order(mut partitions: Vec<VecDeque<Event>>) -> Vec<Event> {
    let mut order = Vec::new();
    while partitions.iter().any(|p| !p.is_empty()) {
        for partition in &mut partitions {
            let take = FETCH.min(partition.len());
            order.extend(partition.drain(..take));
        }
    }
    order
}
