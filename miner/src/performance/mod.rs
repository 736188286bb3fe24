//! Where the time goes: duration statistics and bottleneck rankings.

mod bottlenecks;
mod durations;
mod sketch;

pub use bottlenecks::{rank_bottlenecks, ActivityTime, Bottlenecks, EdgeTime};
pub use durations::DurationStats;
pub use sketch::{QuantileSketch, RELATIVE_ERROR};
