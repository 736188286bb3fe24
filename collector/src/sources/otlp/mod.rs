//! OTLP trace ingest: spans from OpenTelemetry SDKs and collectors, over HTTP
//! (`POST /v1/traces`, protobuf or JSON) and gRPC, beside the domain events.
//!
//! A span becomes one event that lasts: its start is the event's time, its end is kept
//! ([`miner::log::END_ATTRIBUTE`]), so its duration is service time and the gap before it is
//! waiting time. Every span carries its trace id as a key, which stitches it to the instance
//! of any event or span of that trace that has a business key. Accepted spans are answered
//! only once durable; a bounded queue in front of the store answers "retry later" when full.

mod config;
mod grpc;
mod http;
mod queue;
mod spans;

pub use config::{OtlpConfig, SpanKeyRule};
pub use grpc::{grpc_service, serve_grpc, Authorize};
pub use http::router;
pub use queue::{QueueError, SpanQueue};
pub use spans::{spans_to_events, SpanBatch};

use std::sync::Arc;

/// What both OTLP transports share: the span rules and the queue to the store.
#[derive(Clone)]
pub struct OtlpIngest {
    /// How spans become events.
    pub config: Arc<OtlpConfig>,
    /// The bounded queue in front of the store.
    pub queue: SpanQueue,
}
