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
    /// Group session timeout in milliseconds: how long the group waits for a member that
    /// stopped heartbeating before its partitions move on, and so how long a collector
    /// restarted after a crash waits for its old self to be dropped. Heartbeats come from a
    /// background thread, so a slow store write never counts; only a process or network that
    /// is silent this long does. 6 s is the least Kafka brokers accept by default.
    #[serde(default = "defaults::session_timeout_ms")]
    pub session_timeout_ms: u64,
    /// A stable name of this collector in its group (Kafka static membership,
    /// `group.instance.id`): a collector restarted under the same name takes its partitions
    /// back without waiting for the session timeout. Each collector of a group needs its own.
    #[serde(default)]
    pub instance_id: Option<String>,
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
        6_000
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
