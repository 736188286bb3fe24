//! Discovery: what the flow looks like. Directly-follows statistics and variants, computed
//! in one pass over cases, whether the cases come from a file or stream out of a store.

pub mod inductive;
mod process_stats;

pub use process_stats::{
    ActivityStats, EdgeStats, NamedActivity, NamedEdge, NamedStats, NamedVariant, ProcessStats,
    ProcessStatsBuilder, Variant,
};
