//! The consumer's context: librdkafka's logs, errors, statistics and rebalances go to tracing
//! and the source's metrics; failures to reach the brokers are said once, not per attempt.

use super::KafkaMetrics;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::statistics::Statistics;
use rdkafka::TopicPartitionList;
use std::sync::Arc;

/// Routes librdkafka's logs, statistics and rebalances to tracing and the metrics.
pub(super) struct SourceContext {
    pub(super) metrics: Arc<KafkaMetrics>,
}

impl SourceContext {
    /// Says a failure to reach the brokers once, then as reminders with backoff.
    pub(super) fn broker_failed(&self, reason: &str) {
        if let Some(news) = self.metrics.record_broker_failure(reason) {
            tracing::warn!("kafka: {news}");
        }
    }
}

/// librdkafka's log facilities of failed broker connections (one line per attempt).
const CONNECTION_FACILITIES: [&str; 4] = ["FAIL", "BROKERFAIL", "CONNECT", "ERROR"];

/// Whether `error` says the brokers cannot be reached (down, refused, unknown host).
pub(super) fn is_unreachable(error: &KafkaError) -> bool {
    matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::BrokerTransportFailure
                | RDKafkaErrorCode::AllBrokersDown
                | RDKafkaErrorCode::Resolve
                | RDKafkaErrorCode::BrokerNotAvailable
        )
    )
}

impl ClientContext for SourceContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        let serious = !matches!(
            level,
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info | RDKafkaLogLevel::Debug
        );
        if serious && CONNECTION_FACILITIES.contains(&facility) {
            self.broker_failed(message);
            return;
        }
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => tracing::error!(facility, "librdkafka: {message}"),
            RDKafkaLogLevel::Warning => tracing::warn!(facility, "librdkafka: {message}"),
            _ => tracing::debug!(facility, "librdkafka: {message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if is_unreachable(&error) {
            self.broker_failed(reason);
        } else {
            tracing::warn!(error = %error, "librdkafka: {reason}");
        }
    }

    fn stats(&self, statistics: Statistics) {
        let up = statistics
            .brokers
            .values()
            .any(|b| b.nodeid >= 0 && b.state == "UP");
        if up {
            if let Some(news) = self.metrics.record_broker_reached() {
                tracing::info!("kafka: {news}");
            }
        }
        for topic in statistics.topics.values() {
            for p in topic.partitions.values().filter(|p| p.partition >= 0) {
                if p.hi_offset >= 0 {
                    self.metrics
                        .record_high_watermark(&topic.topic, p.partition, p.hi_offset);
                }
                if p.committed_offset >= 0 {
                    self.metrics
                        .record_committed(&topic.topic, p.partition, p.committed_offset);
                }
            }
        }
    }
}

impl ConsumerContext for SourceContext {
    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Error(e) => tracing::warn!(error = %e, "kafka: rebalance failed"),
            Rebalance::Assign(_) | Rebalance::Revoke(_) => {
                let assigned = consumer
                    .assignment()
                    .map(|list| partitions(&list))
                    .unwrap_or_default();
                tracing::info!(?assigned, "kafka: partitions assigned");
                self.metrics.record_assignment(&assigned);
            }
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, _offsets: &TopicPartitionList) {
        if let Err(e) = result {
            if !matches!(e, KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) {
                tracing::warn!(error = %e, "kafka: commit failed; uncommitted messages will be redelivered and deduplicated");
            }
        }
    }
}

fn partitions(list: &TopicPartitionList) -> Vec<(String, i32)> {
    list.elements()
        .iter()
        .map(|e| (e.topic().to_string(), e.partition()))
        .collect()
}
