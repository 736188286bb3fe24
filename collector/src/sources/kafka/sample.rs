//! The first messages of topics, read without joining the consumer group or committing
//! anything: what key discovery looks at before a zero-config collector starts consuming.

use super::KafkaConfig;
use crate::CollectorError;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Reads up to `limit` messages from the start of `config`'s topics, as JSON (a payload that
/// is not JSON becomes a string, so discovery counts it as not an object). It returns when
/// it has `limit`, or when messages were read and no more came for `quiet`; with none yet it
/// waits until `wait` has passed, then returns what it has (possibly nothing).
pub fn sample_topics(
    config: &KafkaConfig,
    limit: usize,
    wait: Duration,
    quiet: Duration,
) -> Result<Vec<Value>, CollectorError> {
    let mut client = rdkafka::config::ClientConfig::new();
    client
        .set("bootstrap.servers", &config.brokers)
        .set("group.id", format!("{}-discover", config.group))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false");
    for (key, value) in &config.options {
        client.set(key, value);
    }
    let consumer: BaseConsumer = client.create().map_err(kafka_error)?;
    let started = Instant::now();
    let mut assignment = TopicPartitionList::new();
    while assignment.count() == 0 {
        for topic in &config.topics {
            let metadata = consumer
                .fetch_metadata(Some(topic), Duration::from_secs(5))
                .map_err(kafka_error)?;
            for partition in metadata.topics().iter().flat_map(|t| t.partitions()) {
                assignment
                    .add_partition_offset(topic, partition.id(), Offset::Beginning)
                    .map_err(kafka_error)?;
            }
        }
        if assignment.count() == 0 {
            if started.elapsed() >= wait {
                return Ok(Vec::new());
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    consumer.assign(&assignment).map_err(kafka_error)?;
    let mut messages = Vec::new();
    let mut last = Instant::now();
    while messages.len() < limit {
        let waited = if messages.is_empty() {
            started.elapsed() >= wait
        } else {
            last.elapsed() >= quiet
        };
        if waited {
            break;
        }
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(message)) => {
                last = Instant::now();
                let payload = message.payload().unwrap_or_default();
                messages.push(serde_json::from_slice(payload).unwrap_or_else(|_| {
                    Value::String(String::from_utf8_lossy(payload).into_owned())
                }));
            }
            Some(Err(e)) => tracing::warn!(error = %e, "kafka: while sampling"),
            None => {}
        }
    }
    Ok(messages)
}

fn kafka_error(e: rdkafka::error::KafkaError) -> CollectorError {
    CollectorError::Source(format!("kafka: {e}"))
}
