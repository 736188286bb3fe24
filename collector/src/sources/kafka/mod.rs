//! Kafka source: consumes event topics with a consumer group, at least once.
//!
//! A message's offset is stored for commit only after the events up to it are durable in the
//! store, and redelivered messages are stored once (by event id, derived from
//! topic/partition/offset when the message has none), so after any crash the store holds
//! every message exactly once. Messages that cannot become events go to the store's
//! dead-letter table and never stall their partition. When the store fails, consumption
//! pauses and retries with backoff, committing nothing past what is durable.

mod broker_state;
mod config;
#[cfg(feature = "kafka")]
mod consumer;
#[cfg(feature = "kafka")]
mod context;
mod message;
mod metrics;
#[cfg(feature = "kafka")]
mod sample;

pub use config::KafkaConfig;
#[cfg(feature = "kafka")]
pub use consumer::{run, Shutdown};
pub use message::{Decoder, KafkaMessage};
pub use metrics::{KafkaMetrics, KafkaSnapshot, PartitionRow};
#[cfg(feature = "kafka")]
pub use sample::sample_topics;
