//! The `[kafka]` section of `flowsight.toml` (each field can also be given on the command line).

use serde::Deserialize;
use std::collections::BTreeMap;

/// Where to consume from and how.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap brokers, `HOST:PORT[,HOST:PORT…]`.
    #[serde(default = "defaults::brokers")]
    pub brokers: String,
    /// Topics to consume.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Consumer group: collectors in one group share the partitions.
    #[serde(default = "defaults::group")]
    pub group: String,
    /// Most messages stored in one transaction (batches grow towards it while the store is busy).
    #[serde(default = "defaults::batch_size")]
    pub batch_size: usize,
    /// How long a batch fills before it is offered to the store, in milliseconds.
    #[serde(default = "defaults::batch_wait_ms")]
    pub batch_wait_ms: u64,
    /// Largest message accepted, in bytes (larger ones are dead-lettered).
    #[serde(default = "defaults::max_message_bytes")]
    pub max_message_bytes: usize,
    /// Group session timeout in milliseconds: how soon a dead collector's partitions move on.
    #[serde(default = "defaults::session_timeout_ms")]
    pub session_timeout_ms: u64,
    /// How often the topics' metadata is refreshed, in milliseconds: a topic created after
    /// the collector started is consumed within about this long (plus the group's join).
    /// librdkafka's own default is five minutes; each refresh is one small metadata request.
    #[serde(default = "defaults::metadata_refresh_ms")]
    pub metadata_refresh_ms: u64,
    /// Further librdkafka properties (security, client id, …), passed through unchanged.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

mod defaults {
    pub fn brokers() -> String {
        "127.0.0.1:9092".into()
    }
    pub fn group() -> String {
        "flowsight".into()
    }
    pub fn batch_size() -> usize {
        50_000
    }
    pub fn batch_wait_ms() -> u64 {
        100
    }
    pub fn max_message_bytes() -> usize {
        256 << 10
    }
    pub fn metadata_refresh_ms() -> u64 {
        2_000
    }
    pub fn session_timeout_ms() -> u64 {
        10_000
    }
}

impl Default for KafkaConfig {
    fn default() -> Self {
        toml::from_str("").expect("every field has a default")
    }
}

impl KafkaConfig {
    /// Checks the settings, so mistakes show at start-up.
    pub fn validate(&self) -> Result<(), String> {
        if self.brokers.trim().is_empty() {
            return Err("kafka.brokers: no broker given (e.g. 127.0.0.1:9092)".into());
        }
        if self.topics.is_empty() || self.topics.iter().any(|t| t.trim().is_empty()) {
            return Err("kafka.topics: give at least one topic, none empty".into());
        }
        if self.group.trim().is_empty() {
            return Err("kafka.group: the consumer group must not be empty".into());
        }
        if self.batch_size == 0 {
            return Err("kafka.batch_size must be at least 1".into());
        }
        Ok(())
    }
}
