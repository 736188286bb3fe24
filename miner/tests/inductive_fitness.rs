//! The Inductive Miner at noise 0 guarantees that every trace of the log fits the discovered
//! tree: checked on shared real logs, variant by variant.

use flowsight_miner::discovery::inductive::inductive_miner;
use flowsight_miner::discovery::ProcessStats;
use flowsight_miner::formats::{maybe_gunzip, xes::read_event_log};
use std::path::PathBuf;

fn stats(name: &str) -> ProcessStats {
    let path = std::env::var_os("FLOWSIGHT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
        .join("fixtures/xes")
        .join(name);
    let (log, _) =
        read_event_log(maybe_gunzip(std::fs::File::open(path).unwrap()).unwrap()).unwrap();
    ProcessStats::from_log(&log)
}

#[test]
fn every_variant_of_real_logs_fits_the_tree_at_noise_zero() {
    for name in [
        "running-example.xes",
        "08_receipt.xes.gz",
        "03_repairExample.xes.gz",
        "roadtraffic100traces.xes",
    ] {
        let s = stats(name);
        let tree = inductive_miner(&s, 0.0).unwrap();
        let unfit: Vec<_> = s
            .variants
            .iter()
            .filter(|v| !tree.accepts(&s.variant_names(v)))
            .collect();
        assert!(
            unfit.is_empty(),
            "{name}: {} of {} variants do not fit {tree}",
            unfit.len(),
            s.variants.len()
        );
    }
}

#[test]
fn the_running_example_gives_the_textbook_model() {
    let tree = inductive_miner(&stats("running-example.xes"), 0.0).unwrap();
    assert_eq!(
        tree.to_string(),
        "->( 'register request', *( ->( +( 'check ticket', X( 'examine casually', 'examine thoroughly' ) ), 'decide' ), 'reinitiate request' ), X( 'pay compensation', 'reject request' ) )"
    );
}
