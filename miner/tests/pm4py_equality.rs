//! Discovery on the shared real logs must equal pm4py's: every `*.pm4py.json` beside a log
//! in `../shared/fixtures/xes/` holds what pm4py 2.7 computed (cases, events, activities,
//! variants, start/end activities and every directly-follows edge with its count).

use flowsight_miner::discovery::ProcessStats;
use flowsight_miner::formats::{maybe_gunzip, summary::LogSummary, xes::read_event_log};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn shared_xes_dir() -> PathBuf {
    let root = std::env::var_os("FLOWSIGHT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    root.join("fixtures/xes")
}

#[test]
fn every_shared_log_mines_to_what_pm4py_computed() {
    let dir = shared_xes_dir();
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let expected_path = entry.unwrap().path();
        let Some(name) = expected_path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(log_name) = name.strip_suffix(".pm4py.json") else {
            continue;
        };
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        let file = std::fs::File::open(dir.join(log_name)).unwrap();
        let (log, _) = read_event_log(maybe_gunzip(file).unwrap()).unwrap();
        let ours = LogSummary::of(&ProcessStats::from_log(&log));

        for field in ["cases", "events", "activities", "variants", "df_edges"] {
            let got = serde_json::to_value(&ours).unwrap()[field].clone();
            assert_eq!(got, expected[field], "{log_name}: {field}");
        }
        for field in ["start_activities", "end_activities"] {
            let want: BTreeMap<String, u64> =
                serde_json::from_value(expected[field].clone()).unwrap();
            let got = if field == "start_activities" {
                &ours.start_activities
            } else {
                &ours.end_activities
            };
            assert_eq!(got, &want, "{log_name}: {field}");
        }
        let want: BTreeMap<(String, String), u64> =
            serde_json::from_value::<Vec<(String, String, u64)>>(expected["dfg"].clone())
                .unwrap()
                .into_iter()
                .map(|(a, b, c)| ((a, b), c))
                .collect();
        let got: BTreeMap<(String, String), u64> = ours
            .dfg
            .iter()
            .map(|(a, b, c)| ((a.clone(), b.clone()), *c))
            .collect();
        assert_eq!(got, want, "{log_name}: directly-follows graph");
        checked.push(log_name.to_string());
    }
    assert!(
        checked.len() >= 6,
        "expected the six shared logs, checked {checked:?}"
    );
}
