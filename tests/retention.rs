//! `--keep` on the command line: an import deletes the whole instances idle past it (against
//! the newest event), and the instances kept are exactly those of a full import that were
//! active within it, each whole.

use std::collections::BTreeSet;
use std::process::Command;

fn flowsight_ok(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_flowsight"))
        .args(args)
        .output()
        .expect("flowsight runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The instances of `store` as (label, events, last event).
fn instances(store: &str) -> BTreeSet<(String, u64, i64)> {
    let json = flowsight_ok(&["export", "instances", "--format", "json", "--store", store]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["label"].as_str().unwrap().to_string(),
                i["events"].as_u64().unwrap(),
                i["last_event"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn an_import_with_keep_deletes_whole_instances_idle_past_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let config = format!("{}/fixtures/order-flow.toml", env!("CARGO_MANIFEST_DIR"));
    flowsight_ok(&[
        "generate",
        "--orders",
        "300",
        "--out",
        &path("orders.ndjson"),
    ]);
    let stream = path("orders.ndjson");
    let import = |store: &str, keep: &[&str]| {
        let mut args = vec!["import", &stream, "--store", store, "--config", &config];
        args.extend(keep);
        flowsight_ok(&args)
    };
    import(&path("all"), &[]);
    let said = import(&path("kept"), &["--keep", "6h"]);
    assert!(said.contains("retention: deleted"), "{said}");

    let all = instances(&path("all"));
    let newest = all.iter().map(|i| i.2).max().unwrap();
    let recent: BTreeSet<_> = all
        .iter()
        .filter(|i| i.2 >= newest - 6 * 3_600_000_000)
        .cloned()
        .collect();
    assert!(recent.len() < all.len() && !recent.is_empty());
    assert_eq!(instances(&path("kept")), recent);
    let bad = Command::new(env!("CARGO_BIN_EXE_flowsight"))
        .args(["import", &path("orders.ndjson"), "--keep", "a month"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--keep"));
}
