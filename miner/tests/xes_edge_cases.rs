//! Every XES edge case in `../shared/fixtures/xes-edge/` either imports or is refused with an
//! error naming the line and what was wrong; none panics or hangs. Files named `…Correct…`
//! must import; files whose defect changes the meaning must be refused.

use flowsight_miner::formats::xes::read_event_log;
use std::path::PathBuf;

fn edge_dir() -> PathBuf {
    std::env::var_os("FLOWSIGHT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
        .join("fixtures/xes-edge")
}

/// Defects after which the content is ambiguous, so the file must be refused.
const MUST_REFUSE: &[&str] = &[
    "noLog",
    "elementIncorrect",
    "dateIncorrectValue",
    "realIncorrectValue",
    "globalIncorrectScope",
    "classifierIncorrectScope",
    "logOutOfPlace",
    "traceOutOfPlace",
];

#[test]
fn each_edge_case_imports_or_is_refused_with_its_line() {
    let mut seen = 0;
    for entry in std::fs::read_dir(edge_dir()).expect("shared xes-edge fixtures") {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| read_event_log(bytes.as_slice()));
        let result = result.unwrap_or_else(|_| panic!("{name}: the reader panicked"));
        match result {
            Ok(_) => assert!(
                !MUST_REFUSE.contains(&name.as_str()),
                "{name} was accepted but must be refused"
            ),
            Err(e) => {
                let message = e.to_string();
                assert!(
                    !name.contains("Correct") || name.contains("Incorrect"),
                    "{name} must import: {message}"
                );
                assert!(
                    message.contains(" at line "),
                    "{name}: error names no line: {message}"
                );
                assert!(
                    message.contains('<'),
                    "{name}: error names no element: {message}"
                );
            }
        }
        seen += 1;
    }
    assert!(seen >= 30, "expected the shared edge cases, saw {seen}");
}
