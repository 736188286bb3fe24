//! The command line on real files: `mine --json` equals pm4py on a shared log, `import` then
//! `export` round-trips through the store, and errors name what was wrong.

mod support;

use collector::sources::files::read_ocel_file;
use std::process::Command;
use support::shared;

/// Runs `flowsight ARGS…` and insists it succeeds, showing the arguments and stderr if not.
fn flowsight_ok(args: &[&str]) -> std::process::Output {
    let out = flowsight(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn flowsight(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flowsight"))
        .args(args)
        .output()
        .expect("flowsight runs")
}

/// `flowsight export bottlenecks --format json` of `store`, parsed.
fn bottlenecks_json(store: &str) -> serde_json::Value {
    let out = flowsight_ok(&[
        "export",
        "bottlenecks",
        "--format",
        "json",
        "--store",
        store,
    ]);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn mine_json_is_the_stable_interface_and_equals_pm4py() {
    let log = shared("xes/running-example.xes");
    let out = flowsight_ok(&["mine", &log, "--json"]);
    let ours: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pm4py: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{log}.pm4py.json")).unwrap())
            .unwrap();
    for key in [
        "cases",
        "events",
        "activities",
        "variants",
        "df_edges",
        "start_activities",
        "end_activities",
    ] {
        assert_eq!(ours[key], pm4py[key], "{key}");
    }
    let sorted = |v: &serde_json::Value| {
        let mut edges: Vec<(String, String, u64)> = serde_json::from_value(v.clone()).unwrap();
        edges.sort();
        edges
    };
    assert_eq!(sorted(&ours["dfg"]), sorted(&pm4py["dfg"]));
}

#[test]
fn import_then_export_round_trips_through_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let log = shared("xes/running-example.xes");
    let out = flowsight_ok(&["import", "--store", store, &log]);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("6 traces, 42 events (42 new, 0 already stored)"));
    let again = flowsight(&["import", "--store", store, &log]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("(0 new, 42 already stored)"));

    let out = flowsight_ok(&["export", "dfg", "--format", "json", "--store", store]);
    let dfg: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dfg["cases"], 6);
    assert_eq!(dfg["edges"].as_array().unwrap().len(), 16);
    let out = flowsight(&["export", "instances", "--store", store]);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert_eq!(csv.lines().count(), 7, "header and six instances:\n{csv}");
    // The UI's filter bar as options: every export covers the same instances.
    let unrejected = ["--store", store, "--absent", "reject request"];
    let out = flowsight_ok(&[&["export", "instances"][..], &unrejected].concat());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 4);
    let out = flowsight_ok(&[&["export", "dfg", "--format", "json"][..], &unrejected].concat());
    let dfg: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dfg["cases"], 3);
    let out = flowsight_ok(&[&["export", "log"][..], &unrejected].concat());
    let xes = String::from_utf8(out.stdout).unwrap();
    assert_eq!(xes.matches("<trace").count(), 3);
    assert!(!xes.contains("reject request"));
    let out = flowsight(&["export", "dfg", "--store", store, "--min-duration", "soon"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("min_duration: invalid duration"));
    let out = flowsight(&["export", "map", "--store", store, "--mode", "performance"]);
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("data-activity=\"decide\""));
    let out = flowsight(&["export", "map", "--format", "csv", "--store", store]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("map cannot be exported as csv:"));
}

#[test]
fn a_broken_log_is_refused_with_the_line() {
    let out = flowsight(&["mine", &shared("xes-edge/elementIncorrect.xes")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 15") && err.contains("<text>"), "{err}");
}

#[test]
fn xes_export_round_trips_every_small_shared_log() {
    for log in [
        "xes/running-example.xes",
        "xes/roadtraffic100traces.xes",
        "xes/03_repairExample.xes.gz",
        "xes/08_receipt.xes.gz",
        "xes/13_SEPSIS_1t_per_variant.xes.gz",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let exported = dir.path().join("exported.xes");
        let original = shared(log);
        flowsight_ok(&["import", "--store", store.to_str().unwrap(), &original]);
        flowsight_ok(&[
            "export",
            "log",
            "--store",
            store.to_str().unwrap(),
            "--out",
            exported.to_str().unwrap(),
        ]);
        let summary = |path: &str| -> serde_json::Value {
            let out = flowsight_ok(&["mine", path, "--json"]);
            let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let mut dfg: Vec<(String, String, u64)> =
                serde_json::from_value(v["dfg"].take()).unwrap();
            dfg.sort();
            v["dfg"] = serde_json::to_value(dfg).unwrap();
            v
        };
        assert_eq!(
            summary(exported.to_str().unwrap()),
            summary(&original),
            "{log}"
        );
    }
}

#[test]
fn csv_export_and_import_round_trip_with_a_column_mapping() {
    for log in ["xes/running-example.xes", "xes/08_receipt.xes.gz"] {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
        let original = shared(log);
        let run = flowsight_ok;
        run(&["import", "--store", &path("a"), &original]);
        run(&[
            "export",
            "log",
            "--format",
            "csv",
            "--store",
            &path("a"),
            "--out",
            &path("log.csv"),
        ]);
        let out = run(&[
            "import",
            "--store",
            &path("b"),
            &path("log.csv"),
            "--case",
            "case",
            "--activity",
            "activity",
            "--timestamp",
            "timestamp",
            "--resource",
            "resource",
        ]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("already stored)"));
        let dfg = |store: &str| {
            String::from_utf8(run(&["export", "dfg", "--store", store]).stdout).unwrap()
        };
        assert_eq!(dfg(&path("b")), dfg(&path("a")), "{log}");
        let variants = |store: &str| {
            String::from_utf8(run(&["export", "variants", "--store", store]).stdout).unwrap()
        };
        assert_eq!(variants(&path("b")), variants(&path("a")), "{log}");
    }
}

#[test]
fn csv_import_without_a_mapping_says_which_flags_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("log.csv");
    std::fs::write(&csv, "case,activity,time\n1,a,2026-01-05T08:00:00Z\n").unwrap();
    let store = dir.path().join("store");
    let out = flowsight(&[
        "import",
        "--store",
        store.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs --case, --activity and --timestamp")
    );
    let out = flowsight(&[
        "import",
        "--store",
        store.to_str().unwrap(),
        csv.to_str().unwrap(),
        "--case",
        "case",
        "--activity",
        "activity",
        "--timestamp",
        "when",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column \"when\""));
}

#[test]
fn ocel_imports_in_every_encoding_with_objects_as_keys() {
    for file in [
        "ocel/ocel20_example.jsonocel",
        "ocel/ocel20_example.xmlocel",
        "ocel/ocel20_example.sqlite",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().to_str().unwrap();
        let out = flowsight_ok(&["import", "--store", store, &shared(file)]);
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.contains(
                "13 events, 9 objects, 20 event-object and 7 object-object relations (13 new"
            ),
            "{file}: {said}"
        );
        let out = flowsight(&["export", "instances", "--format", "json", "--store", store]);
        let instances: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let events: u64 = instances["instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["events"].as_u64().unwrap())
            .sum();
        assert_eq!(events, 13, "{file}: every event belongs to an instance");
        let search = flowsight(&[
            "export",
            "instances",
            "--format",
            "json",
            "--store",
            store,
            "--search",
            "Purchase Order=PO1",
        ]);
        let found: serde_json::Value = serde_json::from_slice(&search.stdout).unwrap();
        assert_eq!(found["total"], 1, "{file}: objects are business keys");
    }
}

/// Every ending an OCEL 2.0 file may carry is read as OCEL by `import` and refused by `mine`,
/// naming the format; an `.xml` is told apart by its content (XES and OCEL XML both use it).
#[test]
fn import_and_mine_take_each_file_for_the_same_format() {
    let dir = tempfile::tempdir().unwrap();
    let copies = [
        (
            "ocel/ocel20_example.jsonocel",
            "example.json",
            "OCEL 2.0 JSON",
        ),
        ("ocel/ocel20_example.xmlocel", "example.xml", "OCEL 2.0 XML"),
        (
            "ocel/ocel20_example.sqlite",
            "example.db",
            "OCEL 2.0 SQLite",
        ),
        (
            "ocel/ocel20_example.sqlite",
            "example.SQLITE3",
            "OCEL 2.0 SQLite",
        ),
    ];
    for (original, name, format) in copies {
        let copy = dir.path().join(name);
        std::fs::copy(shared(original), &copy).unwrap();
        let copy = copy.to_str().unwrap();
        let store = dir.path().join(format!("store-{name}"));
        let out = flowsight_ok(&["import", "--store", store.to_str().unwrap(), copy]);
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.contains("13 events, 9 objects, 20 event-object"),
            "{name}: {said}"
        );
        let out = flowsight(&["mine", copy]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(&format!("{format} is not read by mine")),
            "{name}: {err}"
        );
    }
    let xes_as_xml = dir.path().join("running-example.xml");
    std::fs::copy(shared("xes/running-example.xes"), &xes_as_xml).unwrap();
    let as_xml = flowsight_ok(&["mine", xes_as_xml.to_str().unwrap(), "--json"]);
    let as_xes = flowsight_ok(&["mine", &shared("xes/running-example.xes"), "--json"]);
    assert_eq!(as_xml.stdout, as_xes.stdout);
}

#[test]
fn a_bpmn_model_is_discovered_from_the_store_and_from_a_file_alike() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = shared("xes/running-example.xes");
    assert!(
        flowsight(&["import", "--store", store.to_str().unwrap(), &log])
            .status
            .success()
    );
    let out = flowsight_ok(&["export", "model", "--store", store.to_str().unwrap()]);
    let from_store = String::from_utf8(out.stdout).unwrap();
    assert_eq!(from_store.matches("<task ").count(), 8);
    assert!(
        from_store.contains(r#"name="register request""#)
            && from_store.contains("<bpmndi:BPMNDiagram")
    );
    let file = dir.path().join("model.bpmn");
    let out = flowsight(&["mine", &log, "--bpmn", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("process tree: ->( 'register request'"));
    let from_file = std::fs::read_to_string(file).unwrap();
    assert_eq!(
        from_file.matches("<sequenceFlow").count(),
        from_store.matches("<sequenceFlow").count()
    );
}

#[test]
fn ocel_export_reimports_to_the_same_events_objects_and_relations() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    flowsight_ok(&[
        "import",
        "--store",
        &path("a"),
        &shared("ocel/ocel20_example.sqlite"),
    ]);
    flowsight_ok(&[
        "export",
        "log",
        "--format",
        "ocel",
        "--store",
        &path("a"),
        "--out",
        &path("out.jsonocel"),
    ]);
    let out = flowsight_ok(&["import", "--store", &path("b"), &path("out.jsonocel")]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("13 events, 9 objects, 20 event-object and 7 object-object relations"),
        "{said}"
    );
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path("out.jsonocel")).unwrap()).unwrap();
    assert_eq!(exported["objectTypes"].as_array().unwrap().len(), 4);
    assert_eq!(exported["eventTypes"].as_array().unwrap().len(), 8);
    let relation = &exported["events"][0]["relationships"][0];
    assert!(
        !relation["qualifier"].as_str().unwrap().is_empty(),
        "qualifiers survive: {relation}"
    );

    let out = flowsight(&[
        "import",
        "--store",
        &path("c"),
        &shared("ocel/logistics.sqlite"),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("related object ids are not in the file's object list"));
}

#[test]
fn start_and_complete_transitions_give_activities_a_service_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let log = shared("xes/03_repairExample.xes.gz");
    assert!(flowsight(&["import", "--store", store, &log])
        .status
        .success());
    let b = bottlenecks_json(store);
    let matched: u64 = b["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["service"]["count"].as_u64().unwrap())
        .sum();
    // Counted straight from the file's text, in file order: each complete closes the earliest
    // open start of its activity in the trace (one start in this log is never completed).
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut miner::formats::maybe_gunzip(std::fs::File::open(&log).unwrap()).unwrap(),
        &mut text,
    )
    .unwrap();
    let value = |event: &str, key: &str| {
        let pattern = format!(r#"key="{key}" value=""#);
        let at = event.find(&pattern).unwrap() + pattern.len();
        event[at..at + event[at..].find('"').unwrap()].to_string()
    };
    let mut pairs = 0u64;
    for trace in text.split("<trace>").skip(1) {
        let mut open: std::collections::HashMap<String, u64> = Default::default();
        for event in trace.split("<event>").skip(1) {
            let (name, transition) = (
                value(event, "concept:name"),
                value(event, "lifecycle:transition"),
            );
            let waiting = open.entry(name).or_default();
            match transition.as_str() {
                "start" => *waiting += 1,
                "complete" if *waiting > 0 => {
                    *waiting -= 1;
                    pairs += 1;
                }
                _ => {}
            }
        }
    }
    assert_eq!(matched, pairs);
    assert!(b["activities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["service"]["mean_s"].as_f64().unwrap() > 0.0));
    let map = flowsight(&["export", "map", "--mode", "performance", "--store", store]);
    assert!(String::from_utf8_lossy(&map.stdout).contains(">service "));
}

/// Every event id with its related objects and qualifiers, sorted.
fn event_relations(ocel: &miner::log::Ocel) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = ocel
        .events
        .iter()
        .flat_map(|e| {
            e.objects
                .iter()
                .map(|r| (e.id.clone(), r.object.clone(), r.qualifier.clone()))
        })
        .collect();
    out.sort();
    out
}

/// Every object attribute value with its object, name and time, sorted.
fn object_attributes(ocel: &miner::log::Ocel) -> Vec<(String, String, i64, String)> {
    let mut out: Vec<_> = ocel
        .objects
        .iter()
        .flat_map(|o| {
            o.attributes
                .iter()
                .map(|(name, time, value)| (o.id.clone(), name.clone(), *time, value.to_string()))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn logistics_round_trips_through_ocel_sqlite_with_the_same_map() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let run = |args: &[&str]| String::from_utf8(flowsight_ok(args).stdout).unwrap();
    run(&[
        "import",
        "--store",
        &path("a"),
        &shared("ocel/logistics.sqlite"),
    ]);
    run(&[
        "export",
        "log",
        "--format",
        "ocel",
        "--store",
        &path("a"),
        "--out",
        &path("out.sqlite"),
    ]);
    let said = run(&["import", "--store", &path("b"), &path("out.sqlite")]);
    assert!(said.contains("8727 events"), "{said}");
    assert!(
        said.contains("16738 event-object and 3960 object-object relations"),
        "{said}"
    );
    // Ids, every qualified relation and every object attribute value come back.
    let original = read_ocel_file(std::path::Path::new(&shared("ocel/logistics.sqlite"))).unwrap();
    let exported = read_ocel_file(std::path::Path::new(&path("out.sqlite"))).unwrap();
    for (ocel, name) in [(&original, "original"), (&exported, "export")] {
        assert!(!object_attributes(ocel).is_empty(), "{name}");
    }
    assert_eq!(event_relations(&exported), event_relations(&original));
    let (a, b) = (object_attributes(&exported), object_attributes(&original));
    let diff: Vec<_> = a.iter().zip(&b).filter(|(x, y)| x != y).take(5).collect();
    assert_eq!(a.len(), b.len());
    assert!(diff.is_empty(), "{diff:?}");
    for what in ["dfg", "variants", "instances"] {
        let export = |store: &str| run(&["export", what, "--store", store]);
        if what == "instances" {
            assert_eq!(
                export(&path("a")).lines().count(),
                export(&path("b")).lines().count()
            );
        } else {
            assert_eq!(export(&path("a")), export(&path("b")), "{what}");
        }
    }
}

#[test]
fn json_lines_import_maps_messages_like_the_ingest_and_names_a_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let config = format!("{}/fixtures/order-flow.toml", env!("CARGO_MANIFEST_DIR"));
    flowsight_ok(&[
        "generate",
        "--orders",
        "40",
        "--out",
        &path("orders.ndjson"),
    ]);
    let lines = std::fs::read_to_string(path("orders.ndjson")).unwrap();
    let events = lines.lines().filter(|l| !l.trim().is_empty()).count();
    let store = path("store");
    let args = ["import", "--config", &config, "--store", &store];
    let out = flowsight_ok(&[&args[..], &[path("orders.ndjson").as_str()]].concat());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(&format!("{events} events")), "{said}");
    let again = flowsight_ok(&[&args[..], &[path("orders.ndjson").as_str()]].concat());
    assert!(
        String::from_utf8_lossy(&again.stdout).contains(&format!("0 new, {events} already stored")),
        "a second import stores nothing twice"
    );
    let out = flowsight_ok(&["export", "instances", "--format", "json", "--store", &store]);
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        page["instances"].as_array().unwrap().len(),
        40,
        "the orders' keys correlate them into 40 instances"
    );

    let broken = format!(
        "{}\n{{\"type\": \"OrderPlacedEvent\", \"time\": \"soon\"}}\n",
        lines.lines().next().unwrap()
    );
    std::fs::write(path("broken.jsonl"), broken).unwrap();
    let out = flowsight(&[&args[..], &[path("broken.jsonl").as_str()]].concat());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.jsonl") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn the_configuration_names_the_store_when_the_command_line_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("configured-store");
    let config = dir.path().join("flowsight.toml");
    std::fs::write(
        &config,
        format!("[store]\nlocation = {:?}\n", store.to_str().unwrap()),
    )
    .unwrap();
    let log = shared("xes/running-example.xes");
    flowsight_ok(&["import", "--config", config.to_str().unwrap(), &log]);
    assert!(
        store.join("flowsight.db").exists(),
        "imported into the configured store"
    );
    let out = flowsight(&[
        "import",
        "--store",
        "clickhouse://127.0.0.1:1/bad-name",
        &log,
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("letters, digits and underscores"), "{err}");
}

/// A two-case interval log: `long` starts first and completes last, so ordering by completion
/// would put `short` first.
const INTERVAL_LOG: &str = r#"<log xmlns="http://www.xes-standard.org/">
  <trace><string key="concept:name" value="c1"/>
    <event><string key="concept:name" value="short"/><date key="start_timestamp" value="2024-01-01T10:05:00Z"/><date key="time:timestamp" value="2024-01-01T10:10:00Z"/></event>
    <event><string key="concept:name" value="long"/><date key="start_timestamp" value="2024-01-01T10:00:00Z"/><date key="time:timestamp" value="2024-01-01T11:00:00Z"/></event>
  </trace>
  <trace><string key="concept:name" value="c2"/>
    <event><string key="concept:name" value="long"/><date key="start_timestamp" value="2024-01-02T10:00:00Z"/><date key="time:timestamp" value="2024-01-02T10:30:00Z"/></event>
    <event><string key="concept:name" value="short"/><date key="start_timestamp" value="2024-01-02T10:40:00Z"/><date key="time:timestamp" value="2024-01-02T10:41:00Z"/></event>
  </trace>
</log>"#;

#[test]
fn an_interval_log_is_ordered_by_start_and_has_service_times() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("interval.xes");
    std::fs::write(&log, INTERVAL_LOG).unwrap();
    let log = log.to_str().unwrap();
    let mined: serde_json::Value =
        serde_json::from_slice(&flowsight_ok(&["mine", log, "--json"]).stdout).unwrap();
    assert_eq!(mined["variants"], 1, "both cases run long, then short");
    assert_eq!(mined["dfg"], serde_json::json!([["long", "short", 2]]));

    let store = dir.path().join("store");
    let store = store.to_str().unwrap();
    flowsight_ok(&["import", "--store", store, log]);
    let b = bottlenecks_json(store);
    let service = |name: &str| {
        let a = b["activities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["activity"] == name)
            .unwrap();
        (
            a["service"]["count"].as_u64(),
            a["service"]["mean_s"].as_f64(),
        )
    };
    assert_eq!(
        service("long"),
        (Some(2), Some(2_700.0)),
        "60 and 30 minutes"
    );
    assert_eq!(service("short"), (Some(2), Some(180.0)), "5 minutes and 1");
    let out = flowsight_ok(&["export", "dfg", "--format", "json", "--store", store]);
    let dfg: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dfg["edges"][0]["from"], "long");

    // The export writes each event back with its start and its completion.
    let exported = flowsight_ok(&["export", "log", "--store", store]);
    let xes = String::from_utf8(exported.stdout).unwrap();
    assert!(xes.contains(r#"<date key="start_timestamp" value="2024-01-01T10:05:00Z"/>"#));
    assert!(xes.contains(r#"<date key="time:timestamp" value="2024-01-01T10:10:00.000Z"/>"#));
    assert!(
        !xes.contains("span:end") && !xes.contains("org:resource"),
        "{xes}"
    );
}

#[test]
fn import_counts_traces_with_events_and_names_the_line_of_a_bad_trace() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("empty-trace.xes");
    std::fs::write(
        &log,
        "<log>\n<trace><string key=\"concept:name\" value=\"empty\"/></trace>\n<trace>\n<event><string key=\"concept:name\" value=\"a\"/><date key=\"time:timestamp\" value=\"2024-01-01T10:00:00Z\"/></event>\n</trace>\n</log>",
    )
    .unwrap();
    let store = dir.path().join("store");
    let out = flowsight_ok(&[
        "import",
        "--store",
        store.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(": 1 trace, 1 event ("), "{said}");

    let bad = dir.path().join("no-time.xes");
    std::fs::write(
        &bad,
        "<log>\n<trace>\n<event><string key=\"concept:name\" value=\"a\"/></event>\n</trace>\n</log>",
    )
    .unwrap();
    let out = flowsight(&[
        "import",
        "--store",
        store.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("line 4") && err.contains("no time:timestamp"),
        "{err}"
    );
}

/// Each trace of the XES file at `path` by name: its attributes as JSON with their type
/// records, and each event's; `time:timestamp` as the instant it names (an export writes it
/// in UTC).
fn xes_shape(path: &str) -> std::collections::BTreeMap<String, Vec<(String, String)>> {
    use miner::formats::xes::read_xes;
    let shape = |mut values: Vec<(String, serde_json::Value)>,
                 types: Vec<(String, serde_json::Value)>| {
        for (key, value) in &mut values {
            if key == "time:timestamp" {
                let text = value.as_str().unwrap();
                *value = miner::time::parse_timestamp(text).unwrap().0.into();
            }
        }
        format!(
            "{}|{}",
            serde_json::Value::Object(values.into_iter().collect()),
            serde_json::Value::Object(types.into_iter().collect())
        )
    };
    let mut traces = std::collections::BTreeMap::new();
    let file = std::fs::File::open(path).unwrap();
    read_xes(file, |trace| {
        let name = trace.get("concept:name").unwrap().value.to_string();
        let mut rows = vec![(
            "trace".to_string(),
            shape(trace.json_attributes(), trace.json_types()),
        )];
        for event in trace.events() {
            rows.push((
                "event".to_string(),
                shape(event.json_attributes(), event.json_types()),
            ));
        }
        traces.insert(name, rows);
        Ok(())
    })
    .unwrap();
    traces
}

#[test]
fn xes_export_gives_back_every_attribute_with_its_type_nested_ones_too() {
    let dir = tempfile::tempdir().unwrap();
    let log = format!(
        "{}/fixtures/xes/every-attribute-type.xes",
        env!("CARGO_MANIFEST_DIR")
    );
    let store = dir.path().join("store");
    let out = dir.path().join("exported.xes");
    let (store, out) = (store.to_str().unwrap(), out.to_str().unwrap());
    flowsight_ok(&["import", "--store", store, &log]);
    flowsight_ok(&["export", "log", "--store", store, "--out", out]);
    let exported = xes_shape(out);
    assert_eq!(exported, xes_shape(&log));
    let written = std::fs::read_to_string(out).unwrap();
    for nested in [
        r#"<date key="since" value="2019-07-01T00:00:00.000+02:00"/>"#,
        r#"<id key="door" value="d-2"/>"#,
        r#"<string key="tag" value="web"/>"#,
    ] {
        assert!(written.contains(nested), "{nested} in\n{written}");
    }
}

/// Runs `flowsight ARGS…` in `dir` with RUST_BACKTRACE set, as on many developer machines.
fn flowsight_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flowsight"))
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("flowsight runs")
}

#[test]
fn each_mistake_gives_one_line_fails_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = shared("xes/running-example.xes");
    let ocel = shared("ocel/ocel20_example.jsonocel");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    let cases: [(&[&str], &str); 11] = [
        (
            &["export", "map", "--store", "nonexistent_store"],
            "no store at nonexistent_store",
        ),
        (
            &["import", "--store", "mysql://host/db", &log],
            "unknown scheme mysql://",
        ),
        (
            &["import", "--store", "new_store", "missing.xes"],
            "cannot read missing.xes",
        ),
        (&["import", "--store", "new_store", "."], ". is a directory"),
        (
            &["import", "--store", "new_store", &ocel, "--case", "x"],
            "needs --case, --activity and --timestamp",
        ),
        (
            &["mine", &ocel],
            "is not read by mine, which reads XES event logs",
        ),
        (&["mine", "."], ". is a directory"),
        (
            &[
                "serve",
                "--store",
                "new_store",
                "--listen",
                "127.0.0.1:99999",
            ],
            "port 99999 is out of range",
        ),
        (&["mine", &log, "--noise", "5"], "5 is outside 0-1"),
        (
            &["export", "dfg", "--store", "clickhouse://127.0.0.1:1/db"],
            "cannot reach ClickHouse at 127.0.0.1:1: connection refused",
        ),
        (
            &[
                "serve",
                "--store",
                "new_store",
                "--listen",
                &taken,
                "--no-otlp-ports",
            ],
            "choose another port with --listen",
        ),
    ];
    for (args, says) in cases {
        let out = flowsight_in(dir.path(), args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(err.contains(says), "{args:?}: {err}");
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        let usage = lines.iter().any(|l| l.starts_with("For more information"));
        assert!(
            lines.len() == 1 || usage,
            "{args:?} said more than one line:\n{err}"
        );
        assert!(
            !err.contains("backtrace") && !err.contains("Caused by"),
            "{args:?}: {err}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{args:?} left {left:?} behind");
    }
    for store in [
        "clickhouse://ann:secret@127.0.0.1:1/db",
        "clickhouse://ann:secret@127.0.0.1:1/bad-name",
    ] {
        let out = flowsight_in(dir.path(), &["import", "--store", store, &log]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && !err.contains("secret"), "{err}");
    }
}

#[test]
fn a_broker_that_is_down_is_said_once_not_every_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowsight"))
        .args(["collect", "--kafka", "127.0.0.1:1", "--topic", "orders"])
        .args([
            "--store",
            "store",
            "--listen",
            "127.0.0.1:0",
            "--no-otlp-ports",
            "--discover-sample",
            "0",
        ])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let url = line[line.find("http://").unwrap()..].trim().to_string();
    std::thread::sleep(std::time::Duration::from_secs(8));
    let metrics = ureq::get(&format!("{url}/metrics"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    let sources = ureq::get(&format!("{url}/sources"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        metrics.contains("flowsight_kafka_broker_up{group=\"flowsight\"} 0\n"),
        "{metrics}"
    );
    assert!(
        sources.contains("Cannot reach the Kafka brokers"),
        "{sources}"
    );
    let said = err.matches("cannot reach the Kafka brokers").count();
    assert_eq!(said, 1, "said once in 8 s, not per attempt:\n{err}");
    assert!(err.lines().count() <= 5, "{err}");
}

#[test]
fn importing_messages_without_key_rules_or_discovery_says_why_no_instance_forms() {
    let dir = tempfile::tempdir().unwrap();
    let stream = dir.path().join("orders.ndjson");
    let stream = stream.to_str().unwrap();
    flowsight_ok(&["generate", "--orders", "5", "--out", stream]);
    let out = flowsight_in(
        dir.path(),
        &[
            "import",
            stream,
            "--store",
            "store",
            "--discover-sample",
            "0",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success());
    assert!(
        err.contains("no business-key rules are in force")
            && err.contains("flowsight discover")
            && err.contains("fixtures/order-flow.toml"),
        "{err}"
    );
}

#[test]
fn an_export_whose_reader_leaves_early_ends_quietly() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let store = store.to_str().unwrap();
    flowsight_ok(&[
        "import",
        "--store",
        store,
        &shared("xes/03_repairExample.xes.gz"),
    ]);
    for what in ["log", "instances"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flowsight"))
            .args(["export", what, "--store", store])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 64];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The pipe's reader is gone, as after `| head -c 64`.
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{what}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("error"),
            "{what}: {err}"
        );
    }
}

#[test]
fn an_import_is_all_of_a_file_or_nothing_and_its_name_does_not_matter() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let store = path("store");
    let log = shared("xes/03_repairExample.xes.gz");
    flowsight_ok(&[
        "import",
        "--store",
        &store,
        &shared("xes/running-example.xes"),
    ]);
    let before = flowsight_ok(&["export", "dfg", "--format", "json", "--store", &store]).stdout;

    // Cut off three quarters in: the import fails and keeps nothing of it.
    let whole = std::fs::read(&log).unwrap();
    std::fs::write(path("cut.xes.gz"), &whole[..whole.len() * 3 / 4]).unwrap();
    let out = flowsight(&["import", "--store", &store, &path("cut.xes.gz")]);
    assert!(!out.status.success());
    let after = flowsight_ok(&["export", "dfg", "--format", "json", "--store", &store]).stdout;
    assert_eq!(after, before, "nothing of the truncated file was kept");

    // A CSV whose last line is bad: likewise.
    let mut csv = std::fs::File::create(path("bad-end.csv")).unwrap();
    writeln!(csv, "case,activity,time").unwrap();
    for i in 0..20 {
        writeln!(csv, "c{i},a,2026-01-05T08:00:{i:02}Z").unwrap();
    }
    writeln!(csv, "c99,a,soon").unwrap();
    drop(csv);
    let args = [
        "--case",
        "case",
        "--activity",
        "activity",
        "--timestamp",
        "time",
    ];
    let out = flowsight(
        &[
            &["import", "--store", &store, &path("bad-end.csv")][..],
            &args,
        ]
        .concat(),
    );
    assert!(!out.status.success());
    let after = flowsight_ok(&["export", "dfg", "--format", "json", "--store", &store]).stdout;
    assert_eq!(after, before, "nothing of the bad CSV was kept");

    // The same log under another name is the same events.
    flowsight_ok(&["import", "--store", &store, &log]);
    std::fs::copy(&log, path("renamed.xes.gz")).unwrap();
    let again = flowsight_ok(&["import", "--store", &store, &path("renamed.xes.gz")]);
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(said.contains("(0 new, 11855 already stored)"), "{said}");
}
