//! The collector's memory per live key: the generated order flow stored with nothing evicted
//! (every instance stays live), and the Rust heap the writer then holds — keys, event ids,
//! steps and standing of every live instance — divided by the keys held. SQLite's page cache
//! is allocated by SQLite and bounded on its own (`cache_size`); it is not counted here.
//! Four slices of 25,000 orders: about 800,000 events.

mod support;

use fixtures::ORDER_FLOW_CONFIG;
use flowsight_collector::config::InstanceRules;
use flowsight_collector::store::{EmbeddedStore, StoreRead, StoreWrite};
use flowsight_collector::CollectorConfig;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes in use.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        IN_USE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    let config = CollectorConfig::parse(ORDER_FLOW_CONFIG).expect("demo config");
    let dir = tempfile::tempdir().expect("temp dir");
    // Nothing ends and nothing idles out: every instance stays in memory.
    let rules = InstanceRules {
        end_activities: Vec::new(),
        evict_after: i64::MAX,
        ..config.instances.clone()
    };
    let store = EmbeddedStore::open(dir.path(), rules).expect("store");
    let before = IN_USE.load(Ordering::Relaxed);
    for k in 0..4 {
        let events = support::slice(&config, k);
        for batch in events.chunks(50_000) {
            store.append(batch).expect("append");
        }
    }
    let held = store.held_in_memory().expect("held");
    let bytes = IN_USE.load(Ordering::Relaxed).saturating_sub(before);
    println!(
        "live memory: {} instances, {} keys, {} event ids in {:.1} MiB: {:.0} bytes per live key",
        held.instances,
        held.keys,
        held.event_ids,
        bytes as f64 / (1 << 20) as f64,
        bytes as f64 / held.keys as f64
    );
}
