//! Replays every committed corpus input (the seeds, what fuzzing kept, and any crash it found)
//! through its harness: each must end without a panic.

use std::path::Path;

type Harness = fn(&[u8]);

const TARGETS: [(&str, Harness); 6] = [
    ("xes", flowsight_fuzz::xes),
    ("csv", flowsight_fuzz::csv),
    ("ocel_json", flowsight_fuzz::ocel_json),
    ("ocel_xml", flowsight_fuzz::ocel_xml),
    ("ndjson", flowsight_fuzz::ndjson),
    ("otlp", flowsight_fuzz::otlp),
];

#[test]
fn every_corpus_input_decodes_or_is_refused_without_a_panic() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, harness) in TARGETS {
        let inputs: Vec<_> = std::fs::read_dir(corpus.join(target))
            .unwrap_or_else(|e| panic!("corpus of {target}: {e}"))
            .map(|entry| entry.unwrap().path())
            .collect();
        assert!(!inputs.is_empty(), "the corpus of {target} is empty");
        for input in inputs {
            let data = match std::fs::read(&input) {
                Ok(data) => data,
                // A fuzzing run beside the test may replace an input by a smaller one.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => panic!("{}: {e}", input.display()),
            };
            let outcome = std::panic::catch_unwind(|| harness(&data));
            assert!(outcome.is_ok(), "{target} panicked on {}", input.display());
        }
    }
}
