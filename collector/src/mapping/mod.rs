//! Mapping rules: how a raw JSON message becomes an [`miner::log::Event`].
//!
//! The same rules serve every source (HTTP today; Kafka and files build on them), so an event
//! means the same whichever way it arrived.

mod apply;
mod caps;
mod config;
mod event_id;
mod pointer;
mod trace_id;

pub use apply::{map_event, MappingError, TRACE_KEY};
pub use caps::{cap_event, MAX_KEY_CHARS, MAX_NAME_CHARS, MAX_VALUE_CHARS};
pub use config::{KeyRule, MappingConfig, OverrideRule};
pub use event_id::derive_event_id;
pub use pointer::{escape, lookup, lookup_all, unescape};
pub use trace_id::{normalize_trace_id, trace_id_of, unnormalised_trace_ids};
