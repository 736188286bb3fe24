//! HTTP ingest: `POST /api/events` with a JSON array or NDJSON of event envelopes.
//!
//! The answer comes only after the accepted events are durable in the store. Bad items are
//! rejected one by one with their position and reason while the good ones in the same request
//! are kept; a request the store could not take is answered 503 and nothing of it is kept, so
//! the sender can simply retry.

mod decode;
mod handler;

pub use decode::{split_items, DecodeError, Item};
pub use handler::{router, IngestResponse, IngestState, Rejection};

/// Size limits of the HTTP ingest.
#[derive(Debug, Clone, Copy)]
pub struct IngestLimits {
    /// Largest request body accepted, in bytes (larger: 413).
    pub max_body: usize,
    /// Largest single event, in bytes (larger: that item is rejected).
    pub max_item: usize,
}

impl Default for IngestLimits {
    fn default() -> Self {
        Self {
            max_body: 32 << 20,
            max_item: 256 << 10,
        }
    }
}
