//! A long stream whose set of instances in flight stays the same size: the collector's
//! resident memory stays flat however much history the store holds (issue 13).
//!
//! Two million generated events (250,000 orders placed about two minutes apart, so about a
//! day's orders are in flight at any time) are imported into an embedded store while the
//! importer's resident memory is sampled beside the number of events stored. Run by `make
//! test` on its own (`make long-stream-test`), as it takes a few minutes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Orders in the stream: about eight events each.
const ORDERS: &str = "250000";

/// The importer's resident memory in KiB, while it runs.
fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Events stored so far, read beside the importer (the store is in WAL mode).
fn events_stored(store: &Path) -> Option<u64> {
    let conn = rusqlite::Connection::open_with_flags(
        store.join("flowsight.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .ok()?;
    conn.query_row("SELECT events FROM totals", [], |r| r.get::<_, i64>(0))
        .ok()
        .map(|n| n as u64)
}

#[test]
#[ignore = "two million events: run by make long-stream-test"]
fn resident_memory_stays_flat_over_a_long_stream() {
    let dir = tempfile::tempdir().unwrap();
    let stream = dir.path().join("orders.ndjson");
    let store = dir.path().join("store");
    let flowsight = env!("CARGO_BIN_EXE_flowsight");
    let generated = Command::new(flowsight)
        .args(["generate", "--orders", ORDERS, "-o"])
        .arg(&stream)
        .status()
        .unwrap();
    assert!(generated.success());
    let total = std::fs::read_to_string(&stream).unwrap().lines().count() as u64;
    let config = format!("{}/fixtures/order-flow.toml", env!("CARGO_MANIFEST_DIR"));
    let mut import = Command::new(flowsight)
        .arg("import")
        .arg(&stream)
        .arg("--store")
        .arg(&store)
        .args(["--config", &config])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // (events stored, resident KiB), sampled until the import ends.
    let mut samples = Vec::new();
    while import.try_wait().unwrap().is_none() {
        if let (Some(rss), Some(events)) = (resident_kib(import.id()), events_stored(&store)) {
            samples.push((events, rss));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let out = import.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(events_stored(&store), Some(total), "every event stored");

    let peak = |from: u64, to: u64| {
        samples
            .iter()
            .filter(|(events, _)| (from..to).contains(events))
            .map(|&(_, rss)| rss)
            .max()
            .unwrap_or_else(|| panic!("no sample between {from} and {to} events"))
    };
    let first = peak(0, total / 4);
    let last = peak(total * 3 / 4, total + 1);
    eprintln!(
        "resident memory: first quarter peak {} MiB, last quarter peak {} MiB ({} samples)",
        first / 1024,
        last / 1024,
        samples.len()
    );
    assert!(
        last * 10 <= first * 11,
        "the last quarter's peak ({last} KiB) is within 10 % of the first quarter's ({first} KiB)"
    );
}
