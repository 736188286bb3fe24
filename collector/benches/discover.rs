//! Key discovery over 100,000 sampled messages (goal: under 2 s on 2 cores): the generated
//! order flow as the Kafka and file sources read it, and the same messages reshaped (flat,
//! differently named fields, a constant tenant id) so that the time is not one envelope's.

use flowsight_collector::discover::{discover, DiscoverOptions};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Messages sampled.
const MESSAGES: usize = 100_000;

fn best(messages: &[Value]) -> (Duration, String) {
    let mut summary = String::new();
    let fastest = (0..3)
        .map(|_| {
            let started = Instant::now();
            let discovery = discover(messages, &DiscoverOptions::default()).expect("discovers");
            let elapsed = started.elapsed();
            summary = discovery.summary();
            elapsed
        })
        .min()
        .unwrap_or_default();
    (fastest, summary)
}

/// The generated flow flattened: `event`, `ts`, the payload's fields at the top under other
/// names, and a tenant id on every message.
fn reshaped(message: &Value) -> Value {
    let mut flat = json!({
        "event": message["type"],
        "ts": message["time"],
        "tenant": "tenant-0042",
    });
    if let Some(data) = message["data"].as_object() {
        for (name, value) in data {
            let renamed = match name.as_str() {
                "orderId" => "order_id",
                "refId" => "orderNumber",
                other => other,
            };
            flat[renamed] = value.clone();
        }
    }
    flat
}

fn main() {
    let orders = MESSAGES / 7;
    let flow = fixtures::generate(&fixtures::Scenario {
        orders,
        ..fixtures::Scenario::default()
    });
    let messages: Vec<Value> = flow
        .events
        .iter()
        .take(MESSAGES)
        .map(|e| serde_json::to_value(e).expect("an envelope is JSON"))
        .collect();
    let flat: Vec<Value> = messages.iter().map(reshaped).collect();
    println!("| sample | messages | discovery | found |");
    println!("| --- | ---: | ---: | --- |");
    for (name, sample) in [
        ("generated order flow", &messages),
        ("flat, renamed, tenant id", &flat),
    ] {
        let (time, summary) = best(sample);
        println!(
            "| {name} | {} | {:.0} ms | {summary} |",
            sample.len(),
            time.as_secs_f64() * 1000.0
        );
    }
}
