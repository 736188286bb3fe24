//! Mapping rules: how a raw JSON message becomes an [`miner::log::Event`].
//!
//! The same rules serve every source (HTTP today; Kafka and files build on them), so an event
//! means the same whichever way it arrived.

mod apply;
mod config;
mod event_id;
mod pointer;

pub use apply::{map_event, MappingError, TRACE_KEY};
pub use config::{KeyRule, MappingConfig, OverrideRule};
pub use event_id::derive_event_id;
pub use pointer::lookup;
