//! `flowsight check LOG --model MODEL.bpmn`: the fitness figures as JSON, the deviations
//! named, and a model that cannot be checked refused with why (its line, or both sides of a
//! mismatch). Parity with pm4py is checked live by scripts/check_alignments_pm4py.py.

mod support;

use std::process::{Command, Output};
use support::shared;

fn flowsight(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowsight"))
        .args(args)
        .output()
        .expect("flowsight runs")
}

#[test]
fn a_log_checked_against_its_model_fits_and_a_stricter_model_names_the_deviations() {
    let log = shared("xes/running-example.xes");
    let out = flowsight(&[
        "check",
        &log,
        "--model",
        &shared("bpmn/running-example.bpmn"),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["traces"], 6);
    assert_eq!(r["fitting_traces"], 6);
    assert_eq!(r["average_trace_fitness"], 1.0);
    assert_eq!(r["percentage_fitting_traces"], 100.0);

    let dir = tempfile::tempdir().unwrap();
    let strict = dir.path().join("strict.bpmn");
    std::fs::write(
        &strict,
        r#"<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">
<startEvent id="s"/><task id="a" name="register request"/><task id="b" name="decide"/><endEvent id="e"/>
<sequenceFlow id="f1" sourceRef="s" targetRef="a"/><sequenceFlow id="f2" sourceRef="a" targetRef="b"/>
<sequenceFlow id="f3" sourceRef="b" targetRef="e"/></process></definitions>"#,
    )
    .unwrap();
    let out = flowsight(&["check", &log, "--model", strict.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("6 traces") && said.contains("0 fit the model"),
        "{said}"
    );
    assert!(said.contains("pay compensation not in the model"), "{said}");
    assert!(said.contains("activities no task records"), "{said}");
}

#[test]
fn a_model_that_cannot_be_checked_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let log = shared("xes/running-example.xes");
    let other = dir.path().join("other.bpmn");
    std::fs::write(
        &other,
        r#"<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">
<startEvent id="s"/><task id="a" name="Pick goods"/><endEvent id="e"/>
<sequenceFlow id="f1" sourceRef="s" targetRef="a"/><sequenceFlow id="f2" sourceRef="a" targetRef="e"/>
</process></definitions>"#,
    )
    .unwrap();
    let out = flowsight(&["check", &log, "--model", other.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no task of the model matches")
            && err.contains("Pick goods")
            && err.contains("register request"),
        "{err}"
    );

    let broken = dir.path().join("broken.bpmn");
    std::fs::write(
        &broken,
        "<definitions>\n<process id=\"p\">\n<complexGateway id=\"g\"/>\n</process></definitions>",
    )
    .unwrap();
    let out = flowsight(&["check", &log, "--model", broken.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3") && err.contains("complexGateway g"),
        "{err}"
    );
}

#[test]
fn each_instance_page_shows_where_it_stands_against_the_tracking_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let flow = format!("{}/fixtures/order-flow.toml", env!("CARGO_MANIFEST_DIR"));
    let out = flowsight(&[
        "generate",
        "--orders",
        "300",
        "--out",
        &path("orders.ndjson"),
    ]);
    assert!(out.status.success());
    let store = path("store");
    let import = flowsight(&[
        "import",
        &path("orders.ndjson"),
        "--config",
        &flow,
        "--store",
        &store,
    ]);
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    // The model every order so far follows (the Inductive Miner at noise 0), as a user would
    // export it, then tracked against.
    let model = path("order.bpmn");
    let out = flowsight(&["export", "model", "--store", &store, "--out", &model]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tracked = path("tracked.toml");
    let rules = std::fs::read_to_string(&flow).unwrap();
    std::fs::write(
        &tracked,
        format!("{rules}\n[tracking]\nmodel = {model:?}\n"),
    )
    .unwrap();
    let server = support::start(
        &[
            "serve",
            "--store",
            &store,
            "--config",
            &tracked,
            "--listen",
            "127.0.0.1:0",
            "--no-otlp-ports",
        ],
        "listening on",
    );
    let list = support::get_json(&server, "/api/instances?limit=1000");
    let mut seen = std::collections::BTreeSet::new();
    for instance in list["instances"].as_array().unwrap() {
        let status = instance["status"].as_str().unwrap().to_string();
        if !seen.insert(status.clone()) {
            continue;
        }
        let page = support::get(&server, &format!("/instances/{}", instance["id"]));
        assert!(page.contains("follows the model"), "{status}: {page}");
        if status == "completed" {
            assert!(!page.contains("waits at"), "{page}");
        } else {
            assert!(
                page.contains("id=\"waiting-at\">waits at "),
                "{status}: {page}"
            );
        }
    }
    assert!(
        seen.contains("completed") && seen.contains("running"),
        "{seen:?}"
    );

    // A step the model does not know, on a running order, shows as its deviation at once.
    let running = list["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["status"] == "running")
        .unwrap();
    let order = running["label"]
        .as_str()
        .unwrap()
        .trim_start_matches("order=");
    let time = miner::time::format_timestamp(running["last_event"].as_i64().unwrap() + 1_000_000);
    let event = serde_json::json!([{"type": "FraudCheckedEvent", "id": "fraud-1", "time": time, "data": {"orderId": order}}]);
    ureq::post(&format!("{}/api/events", server.url))
        .send_json(&event)
        .expect("ingest accepts the event");
    let page = support::get(&server, &format!("/instances/{}", running["id"]));
    assert!(
        page.contains("deviates from the model once")
            && page.contains("FraudCheckedEvent: not in the model"),
        "{page}"
    );
    // The list says where each instance it shows stands.
    let listed = support::get(&server, "/instances");
    assert!(
        listed.contains("<th>Against the model</th>") && listed.contains("follows; waits at "),
        "{listed}"
    );
    let found = support::get(&server, &format!("/instances?q=order%3D{order}"));
    assert!(
        found.contains("<td class=\"model\">FraudCheckedEvent: not in the model</td>"),
        "{found}"
    );

    let broken = path("broken.toml");
    std::fs::write(
        &broken,
        format!(
            "{rules}\n[tracking]\nmodel = \"{}\"\n",
            path("missing.bpmn")
        ),
    )
    .unwrap();
    let out = flowsight(&[
        "serve",
        "--store",
        &store,
        "--config",
        &broken,
        "--listen",
        "127.0.0.1:0",
        "--no-otlp-ports",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("[tracking] model"));
}

#[test]
fn an_event_log_imported_without_rules_gets_inferred_end_activities_not_every_case_stuck() {
    let (said, statuses) = imported_without_rules(&shared("xes/running-example.xes"), &[]);
    assert!(
        said.contains("inferred from the log")
            && said.contains("pay compensation (3)")
            && said.contains("reject request (3)"),
        "{said}"
    );
    assert_eq!(
        statuses, ["completed"; 6],
        "the rules saved with the store say so to every reader"
    );
}

/// Imports `file` (with `more` flags) into a fresh store without rules; what it said, and the
/// statuses of the instances as any later reader sees them.
fn imported_without_rules(file: &str, more: &[&str]) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let store = store.to_str().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_flowsight"))
        .args(["import", file, "--store", store])
        .args(more)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{said}");
    let out = flowsight(&["export", "instances", "--format", "json", "--store", store]);
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let statuses = page["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap().to_string())
        .collect();
    (said, statuses)
}

#[test]
fn csv_and_ocel_logs_imported_without_rules_get_inferred_end_activities_too() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("claims.csv");
    let mut text = String::from("case,activity,time\n");
    // 120 claims end; one (under 1 %) is still open at Register.
    for n in 0..120 {
        let end = if n % 4 == 0 { "Reject" } else { "Pay" };
        text.push_str(&format!(
            "c{n},Register,2024-03-01T08:00:00Z\nc{n},Check,2024-03-01T09:00:00Z\nc{n},{end},2024-03-01T10:00:00Z\n"
        ));
    }
    text.push_str("open,Register,2024-03-01T08:00:00Z\n");
    std::fs::write(&csv, text).unwrap();
    let columns: Vec<&str> = "--case case --activity activity --timestamp time"
        .split(' ')
        .collect();
    let (said, statuses) = imported_without_rules(csv.to_str().unwrap(), &columns);
    assert!(said.contains("Pay (90), Reject (30);"), "{said}");
    let completed = statuses.iter().filter(|s| *s == "completed").count();
    assert_eq!(
        completed, 120,
        "every finished claim; the open one is not: {statuses:?}"
    );

    let (said, statuses) = imported_without_rules(&shared("ocel/ocel20_example.jsonocel"), &[]);
    assert!(said.contains("inferred from the log"), "{said}");
    assert!(
        statuses.iter().filter(|s| *s == "completed").count() * 2 > statuses.len(),
        "most of the log's instances ended: {said}"
    );
}
