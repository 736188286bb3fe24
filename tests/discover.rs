//! Point at a stream, get a map: `flowsight discover` proposes rules from the messages, and
//! `import` with no configuration discovers, logs, saves and applies them. On the generated
//! order flow with its configuration removed, the result equals the hand-written rules'.

use std::path::Path;
use std::process::{Command, Output};

fn flowsight_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowsight"))
        .args(args)
        .current_dir(dir)
        .env_remove("FLOWSIGHT_CONFIG")
        .env_remove("FLOWSIGHT_STORE")
        .output()
        .expect("flowsight runs")
}

fn ok_in(dir: &Path, args: &[&str]) -> Output {
    let out = flowsight_in(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `export WHAT --format json` of `store`, parsed.
fn export(dir: &Path, what: &str, store: &str) -> serde_json::Value {
    let out = ok_in(dir, &["export", what, "--format", "json", "--store", store]);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The instances of `store` without their store-assigned ids nor their status (how long an
/// idle instance waits before it counts as stuck is not in the messages: the hand-written
/// rules say 12h, discovered ones keep the default).
fn instances(dir: &Path, store: &str) -> Vec<serde_json::Value> {
    let mut list: Vec<serde_json::Value> = export(dir, "instances", store)["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let mut i = i.clone();
            let fields = i.as_object_mut().unwrap();
            fields.remove("id");
            if fields.remove("status").is_some_and(|s| s == "completed") {
                fields.insert("completed".into(), true.into());
            }
            i
        })
        .collect();
    list.sort_by_key(|i| i.to_string());
    list
}

/// Imports `orders.ndjson` of `dir` into the store `by-hand` with the hand-written rules.
fn import_by_hand(dir: &Path) {
    let rules = format!("{}/fixtures/order-flow.toml", env!("CARGO_MANIFEST_DIR"));
    let args = [
        "import",
        "--config",
        &rules,
        "--store",
        "by-hand",
        "orders.ndjson",
    ];
    ok_in(dir, &args);
}

#[test]
fn an_import_without_rules_gives_the_instances_map_and_variants_of_the_hand_written_rules() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok_in(
        dir,
        &["generate", "--orders", "300", "--out", "orders.ndjson"],
    );
    import_by_hand(dir);
    let out = ok_in(dir, &["import", "--store", "discovered", "orders.ndjson"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("rules discovered from the first")
            && log.contains("order (/data/orderId, /data/refId)"),
        "the chosen rules are logged: {log}"
    );
    for what in ["dfg", "variants", "bottlenecks"] {
        assert_eq!(
            export(dir, what, "discovered"),
            export(dir, what, "by-hand"),
            "{what}"
        );
    }
    let discovered = instances(dir, "discovered");
    assert_eq!(discovered.len(), 300);
    assert_eq!(discovered, instances(dir, "by-hand"));
    let completed = discovered.iter().filter(|i| i["completed"] == true).count();
    assert!(
        completed > 200,
        "the discovered end activities are saved and used: {completed}"
    );

    let again = ok_in(dir, &["import", "--store", "discovered", "orders.ndjson"]);
    let log = String::from_utf8_lossy(&again.stderr);
    assert!(
        !log.contains("rules discovered"),
        "a store with saved rules keeps them rather than discovering again: {log}"
    );
}

#[test]
fn discover_writes_a_commented_configuration_that_imports_like_the_hand_written_one() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok_in(
        dir,
        &["generate", "--orders", "120", "--out", "orders.ndjson"],
    );
    let out = ok_in(
        dir,
        &["discover", "orders.ndjson", "--write", "proposed.toml"],
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("+ key order"), "{said}");
    assert!(
        said.contains("- key customer"),
        "rejected keys are shown with why: {said}"
    );
    let text = std::fs::read_to_string(dir.join("proposed.toml")).unwrap();
    assert!(
        text.contains("# order: on ") && text.contains("kind = \"order\""),
        "{text}"
    );
    ok_in(
        dir,
        &[
            "import",
            "--config",
            "proposed.toml",
            "--store",
            "proposed",
            "orders.ndjson",
        ],
    );
    import_by_hand(dir);
    assert_eq!(instances(dir, "proposed"), instances(dir, "by-hand"));

    let out = flowsight_in(
        dir,
        &["discover", "orders.ndjson", "--write", "proposed.toml"],
    );
    assert!(
        !out.status.success(),
        "an existing file is never overwritten"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("proposed.toml exists"));

    let out = ok_in(dir, &["discover", "--json", "orders.ndjson"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages = &json["messages"];
    assert_eq!(messages["envelope"]["activity"]["pointer"], "/type");
    assert_eq!(messages["outcome"]["instances"], 120);
    assert_eq!(messages["keys"][0]["kind"], "order");
    assert!(messages["keys"][0]["event_share"].as_f64().unwrap() > 0.5);

    let out = ok_in(dir, &["discover", "--store", "by-hand"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("+ key order") && said.contains("/data/orderId"),
        "{said}"
    );
}

#[test]
fn a_stream_without_shared_ids_says_no_business_key_was_found_and_keeps_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let lines: Vec<String> = (0..300)
        .map(|i| {
            format!(
                r#"{{"type":"Ping{}","time":"2026-01-05T08:{:02}:00Z","id":"e-{i}","data":{{"requestId":"r-{i}","tenant":"acme-1"}}}}"#,
                i % 3,
                i % 60
            )
        })
        .collect();
    std::fs::write(dir.join("pings.jsonl"), lines.join("\n")).unwrap();
    let out = flowsight_in(dir, &["discover", "pings.jsonl"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no business key found"), "{err}");
    assert!(
        said.contains("- key request") && said.contains("never repeat"),
        "{said}"
    );
    assert!(
        said.contains("- key tenant") && said.contains("100% of all events"),
        "{said}"
    );

    let out = ok_in(dir, &["import", "--store", "s", "pings.jsonl"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no business key found"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("300 events"));
}
