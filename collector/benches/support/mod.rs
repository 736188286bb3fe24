//! What the store benches share: an endless generated order flow, cut in slices.

use fixtures::{generate, Scenario};
use flowsight_collector::mapping::map_event;
use flowsight_collector::CollectorConfig;
use miner::log::Event;

/// Orders per generated slice (about 8 events each).
pub const SLICE_ORDERS: usize = 25_000;

/// Slice `k` of an endless order flow: orders of each slice follow the previous slice's, with
/// their order ids made unique across slices.
pub fn slice(config: &CollectorConfig, k: u64) -> Vec<Event> {
    let flow = generate(&Scenario {
        orders: SLICE_ORDERS,
        seed: 1000 + k,
        start: Scenario::default().start + k as i64 * 10 * 86_400_000_000,
        ..Scenario::default()
    });
    flow.events
        .iter()
        .map(|e| {
            let value = serde_json::to_value(e).expect("envelopes serialize");
            let mut event =
                map_event(&config.mapping, value, b"", "bench").expect("generated events map");
            for key in &mut event.keys {
                if key.kind == "order" {
                    key.value = format!("{k}-{}", key.value);
                }
            }
            event
        })
        .collect()
}
