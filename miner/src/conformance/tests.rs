//! Alignments on small models written for the tests: sequence, choice, parallel and inclusive
//! gateways, a subprocess, and the errors and notes of the reader.

use super::*;
use crate::log::EventLogBuilder;

/// A BPMN document of `body` (flow nodes and sequence flows) in one process.
fn model(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" isExecutable="false">
{body}
  </bpmn:process>
</bpmn:definitions>"#
    )
}

/// Sequence flows `a>b` as elements.
fn flows(pairs: &[&str]) -> String {
    pairs
        .iter()
        .enumerate()
        .map(|(i, pair)| {
            let (a, b) = pair.split_once('>').unwrap();
            format!(r#"<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>"#)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn task(id: &str) -> String {
    format!(r#"<bpmn:task id="{id}" name="{id}"/>"#)
}

/// The cost of aligning each of `traces` (activity names) with `bpmn`.
fn costs(bpmn: &str, traces: &[&[&str]]) -> Vec<u32> {
    let graph = read_bpmn(bpmn).expect("reads");
    let net = PetriNet::from_bpmn(&graph).reduced();
    let mut names: Vec<&str> = traces.iter().flat_map(|t| t.iter().copied()).collect();
    names.extend(graph.task_names());
    names.sort();
    names.dedup();
    let number = |name: &str| names.iter().position(|n| *n == name).map(|i| i as u32);
    let mut aligner = Aligner::new(&net, number, names.len());
    traces
        .iter()
        .map(|trace| {
            let ids: Vec<u32> = trace.iter().map(|a| number(a).unwrap()).collect();
            aligner
                .align(&ids, DEFAULT_STATE_BUDGET)
                .expect("aligned")
                .cost
        })
        .collect()
}

/// A, then B and/or C as the `gateway` element (a split and its join) decides, then D.
fn two_branches(gateway: &str) -> String {
    model(&format!(
        r#"<bpmn:startEvent id="s"/>{}{}{}{}<bpmn:{gateway} id="g1"/><bpmn:{gateway} id="g2"/><bpmn:endEvent id="e"/>{}"#,
        task("A"),
        task("B"),
        task("C"),
        task("D"),
        flows(&["s>A", "A>g1", "g1>B", "g1>C", "B>g2", "C>g2", "g2>D", "D>e"])
    ))
}

fn sequence_with_choice() -> String {
    two_branches("exclusiveGateway")
}

#[test]
fn a_choice_costs_one_per_event_out_of_place_and_per_task_skipped() {
    let bpmn = sequence_with_choice();
    assert_eq!(
        costs(
            &bpmn,
            &[
                &["A", "B", "D"],
                &["A", "C", "D"],
                &["A", "D"],
                &["A", "B", "C", "D"],
                &["A", "X", "B", "D"],
                &["D", "B", "A"],
                &[],
            ]
        ),
        [0, 0, 1, 1, 1, 4, 3]
    );
}

#[test]
fn parallel_branches_fit_in_any_order_and_need_every_branch() {
    let bpmn = two_branches("parallelGateway");
    assert_eq!(
        costs(
            &bpmn,
            &[
                &["A", "B", "C", "D"],
                &["A", "C", "B", "D"],
                &["A", "B", "D"]
            ]
        ),
        [0, 0, 1]
    );
}

#[test]
fn an_inclusive_gateway_takes_one_or_more_branches() {
    let bpmn = two_branches("inclusiveGateway");
    assert_eq!(
        costs(
            &bpmn,
            &[
                &["A", "B", "D"],
                &["A", "C", "D"],
                &["A", "C", "B", "D"],
                &["A", "B", "B", "D"]
            ]
        ),
        [0, 0, 0, 1]
    );
}

#[test]
fn a_subprocess_is_flattened_into_the_flow() {
    let bpmn = model(&format!(
        r#"<bpmn:startEvent id="s"/>{}<bpmn:subProcess id="sp" name="Ship"><bpmn:startEvent id="ss"/>{}{}<bpmn:endEvent id="se"/>{}</bpmn:subProcess>{}<bpmn:endEvent id="e"/>{}"#,
        task("A"),
        task("B"),
        task("C"),
        flows(&["ss>B", "B>C", "C>se"]).replace("\"f", "\"inner"),
        task("D"),
        flows(&["s>A", "A>sp", "sp>D", "D>e"])
    ));
    assert_eq!(costs(&bpmn, &[&["A", "B", "C", "D"], &["A", "D"]]), [0, 2]);
}

#[test]
fn the_reader_names_what_it_cannot_model_and_where() {
    let bpmn = model(&format!(
        r#"<bpmn:startEvent id="s"/><bpmn:userTask id="t1"/><bpmn:boundaryEvent id="b1" name="Timeout" attachedToRef="t1"/><bpmn:intermediateCatchEvent id="i1" name="Wait"/><bpmn:endEvent id="e"/>{}"#,
        flows(&["s>t1", "t1>i1", "i1>e"])
    ));
    let graph = read_bpmn(&bpmn).unwrap();
    let notes = graph.notes.join("\n");
    assert!(
        notes.contains("userTask t1") && notes.contains("silent step"),
        "{notes}"
    );
    assert!(
        notes.contains("boundaryEvent b1 (\"Timeout\"") && notes.contains("on t1 is not modelled"),
        "{notes}"
    );
    assert!(notes.contains("intermediateCatchEvent i1"), "{notes}");

    let complex = model(
        r#"<bpmn:startEvent id="s"/>
<bpmn:complexGateway id="c1" name="Vote"/>"#,
    );
    let err = read_bpmn(&complex).unwrap_err().to_string();
    assert!(
        err.contains("line 5")
            && err.contains("complexGateway c1")
            && err.contains("not supported"),
        "{err}"
    );

    let unknown = model(
        r#"<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="nowhere"/>"#,
    );
    let err = read_bpmn(&unknown).unwrap_err().to_string();
    assert!(
        err.contains("sequenceFlow f1") && err.contains("\"nowhere\""),
        "{err}"
    );

    let broken = "<bpmn:definitions>\n<bpmn:process>\n</bpmn:definitions>";
    let err = read_bpmn(broken).unwrap_err().to_string();
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn a_log_is_checked_per_variant_with_pm4py_fitness_and_named_deviations() {
    let mut builder = EventLogBuilder::new();
    for (case, trace) in [["A", "B", "D"], ["A", "B", "D"], ["A", "X", "D"]]
        .iter()
        .enumerate()
    {
        builder.start_case(case.to_string());
        for activity in trace {
            builder.push_event(activity, None);
        }
        builder.end_case();
    }
    let log = builder.build();
    let graph = read_bpmn(&sequence_with_choice()).unwrap();
    let result = check_log(&log, &graph, DEFAULT_STATE_BUDGET).unwrap();
    assert_eq!(
        (result.traces, result.variants, result.fitting_traces),
        (3, 2, 2)
    );
    // The shortest run takes 3 tasks; "A X D" has 2 deviations (X, and B or C skipped).
    let expected = (1.0 + 1.0 + (1.0 - 2.0 / 6.0)) / 3.0;
    assert!(
        (result.average_trace_fitness - expected).abs() < 1e-12,
        "{result:?}"
    );
    assert!((result.percentage_fitting_traces - 200.0 / 3.0).abs() < 1e-12);
    assert_eq!(result.activities_not_in_model, ["X"]);
    assert_eq!(result.tasks_not_in_log, ["C"]);
    assert!(result
        .deviations
        .iter()
        .any(|d| d.kind == DeviationKind::NotInModel && d.activity == "X" && d.traces == 1));

    let mut other = EventLogBuilder::new();
    other.start_case("1");
    other.push_event("Z", None);
    other.end_case();
    let err = check_log(&other.build(), &graph, DEFAULT_STATE_BUDGET)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("model's tasks are A, B, C, D") && err.contains("activities are Z"),
        "{err}"
    );
}

#[test]
fn a_running_instance_is_checked_as_far_as_it_got_and_waits_at_the_next_tasks() {
    let model = ReferenceModel::read(&sequence_with_choice()).unwrap();
    let running = model.check(&["A"], false).unwrap();
    assert!(running.deviations.is_empty());
    assert_eq!(running.waiting_at, ["B", "C"]);
    let off = model.check(&["A", "X"], false).unwrap();
    assert_eq!(
        off.deviations,
        [(DeviationKind::NotInModel, "X".to_string())]
    );
    assert_eq!(off.waiting_at, ["B", "C"]);
    let ended = model.check(&["A", "B"], true).unwrap();
    assert_eq!(
        ended.deviations,
        [(DeviationKind::Skipped, "D".to_string())]
    );
    assert!(ended.waiting_at.is_empty());
    let done = model.check(&["A", "C", "D"], true).unwrap();
    assert!(done.deviations.is_empty());
}

#[test]
fn tasks_named_otherwise_than_their_activities_are_tracked_through_a_mapping() {
    let mapping: std::collections::BTreeMap<String, String> = [
        ("A".to_string(), "OrderPlaced".to_string()),
        ("D".to_string(), "OrderShipped".to_string()),
    ]
    .into();
    let model = ReferenceModel::read_mapped(&sequence_with_choice(), &mapping).unwrap();
    assert_eq!(
        model.tasks(),
        [
            ("A", "OrderPlaced"),
            ("B", "B"),
            ("C", "C"),
            ("D", "OrderShipped")
        ]
    );
    assert!(model
        .check(&["OrderPlaced", "C", "OrderShipped"], true)
        .unwrap()
        .deviations
        .is_empty());
    assert_eq!(
        model.check(&["OrderPlaced"], false).unwrap().waiting_at,
        ["B", "C"]
    );
    let stray: std::collections::BTreeMap<String, String> =
        [("Z".to_string(), "Zed".to_string())].into();
    let err = ReferenceModel::read_mapped(&sequence_with_choice(), &stray)
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"Z\"") && err.contains("A, B, C, D"), "{err}");
}
