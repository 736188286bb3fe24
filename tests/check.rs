//! `flowsight check LOG --model MODEL.bpmn`: the fitness figures as JSON, the deviations
//! named, and a model that cannot be checked refused with why (its line, or both sides of a
//! mismatch). Parity with pm4py is checked live by scripts/check_alignments_pm4py.py.

use std::process::{Command, Output};

fn flowsight(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowsight"))
        .args(args)
        .output()
        .expect("flowsight runs")
}

fn shared(path: &str) -> String {
    let root = std::env::var("FLOWSIGHT_SHARED")
        .unwrap_or_else(|_| format!("{}/../shared", env!("CARGO_MANIFEST_DIR")));
    format!("{root}/fixtures/{path}")
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
