//! Discovery: what the flow looks like. Directly-follows statistics and variants, computed
//! in one pass over cases, whether the cases come from a file or stream out of a store.

pub mod inductive;
mod process_stats;

pub use process_stats::{
    measure_case, ActivityStats, CaseMeasures, CaseSteps, Counted, EdgeStats, NamedActivity,
    NamedEdge, NamedStats, NamedVariant, ProcessAggregate, ProcessStats, ProcessStatsBuilder,
    Timed, Variant, VariantTotals,
};
