//! What the Kafka source has done, per topic and partition: shown in the UI and exported as
//! Prometheus text.

use super::broker_state::BrokerState;
use crate::prometheus::{Exposition, MetricKind};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The window over which the consumption rate is measured.
const RATE_WINDOW: Duration = Duration::from_secs(10);

/// Live counters of one Kafka source, shared between the consumer and the web UI.
#[derive(Debug, Default)]
pub struct KafkaMetrics {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    group: String,
    broker: BrokerState,
    topics: Vec<String>,
    partitions: BTreeMap<(String, i32), PartitionRow>,
    duplicates: u64,
    store_failures: u64,
    store_attempts_failed: u64,
    store_error: Option<String>,
    samples: VecDeque<(Instant, u64)>,
}

/// One partition's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionRow {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Whether this collector currently consumes it.
    pub assigned: bool,
    /// Messages made durable (as events or dead letters).
    pub messages: u64,
    /// Of those, dead letters.
    pub dead_letters: u64,
    /// Next offset to read after what is durable: what is (or will be) committed.
    pub durable_offset: Option<i64>,
    /// The partition's end (high watermark), as last reported by the broker.
    pub high_watermark: Option<i64>,
}

impl PartitionRow {
    /// Messages in the partition not yet durable here, when the broker has reported its end.
    pub fn lag(&self) -> Option<i64> {
        let end = self.high_watermark?;
        Some((end - self.durable_offset.unwrap_or(0)).max(0))
    }
}

/// A consistent copy of the figures at one moment.
#[derive(Debug, Clone, Default)]
pub struct KafkaSnapshot {
    /// Consumer group.
    pub group: String,
    /// Partitions seen, by topic and partition.
    pub partitions: Vec<PartitionRow>,
    /// Redelivered messages found already stored.
    pub duplicates: u64,
    /// Store outages met (each paused consumption until the store took the batch).
    pub store_failures: u64,
    /// Attempts to store a batch that failed, the retries of an outage included.
    pub store_attempts_failed: u64,
    /// The store's error while consumption is paused on it; `None` when flowing.
    pub store_error: Option<String>,
    /// Messages per second made durable over the last ten seconds.
    pub rate: f64,
    /// Subscribed topics of which no partition is assigned here yet: the topic may not exist
    /// yet, or the group has not given this collector a share of it.
    pub waiting_topics: Vec<String>,
    /// Whether a broker answered last (`None` before anything was seen).
    pub broker_reachable: Option<bool>,
    /// Why the brokers cannot be reached, while they cannot.
    pub broker_error: Option<String>,
}

impl KafkaSnapshot {
    /// Total lag over the partitions whose end is known.
    pub fn total_lag(&self) -> i64 {
        self.partitions.iter().filter_map(PartitionRow::lag).sum()
    }

    /// Total dead letters.
    pub fn dead_letters(&self) -> u64 {
        self.partitions.iter().map(|p| p.dead_letters).sum()
    }

    /// Total messages made durable.
    pub fn messages(&self) -> u64 {
        self.partitions.iter().map(|p| p.messages).sum()
    }
}

impl KafkaMetrics {
    /// Metrics of a source consuming as `group`.
    pub fn new(group: &str) -> Self {
        let metrics = Self::default();
        metrics.with(|s| s.group = group.to_string());
        metrics
    }

    /// Records a failure to reach the brokers; returns what to log (the news once, then
    /// reminders with backoff), so a broker that stays down does not flood the log.
    pub fn record_broker_failure(&self, reason: &str) -> Option<String> {
        self.with(|s| s.broker.failed(reason, Instant::now()))
    }

    /// Records that a broker answers; returns what to log when that is news.
    pub fn record_broker_reached(&self) -> Option<String> {
        self.with(|s| s.broker.reached(Instant::now()))
    }

    /// Records the topics the source subscribes to, so that those still without an assigned
    /// partition can be shown as waited for.
    pub fn record_subscription(&self, topics: &[String]) {
        self.with(|s| s.topics = topics.to_vec());
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut state)
    }

    /// Records that messages of a partition up to `last_offset` are durable.
    pub fn record_durable(
        &self,
        topic: &str,
        partition: i32,
        messages: u64,
        dead_letters: u64,
        last_offset: i64,
    ) {
        self.with(|s| {
            let row = s.row(topic, partition);
            row.messages += messages;
            row.dead_letters += dead_letters;
            row.durable_offset = Some(row.durable_offset.unwrap_or(0).max(last_offset + 1));
            let total = s.partitions.values().map(|p| p.messages).sum();
            let now = Instant::now();
            s.samples.push_back((now, total));
            while s
                .samples
                .front()
                .is_some_and(|(t, _)| now.duration_since(*t) > 3 * RATE_WINDOW)
            {
                s.samples.pop_front();
            }
        });
    }

    /// Records redelivered messages found already stored.
    pub fn record_duplicates(&self, n: u64) {
        self.with(|s| s.duplicates += n);
    }

    /// Records a partition's end offset as reported by the broker.
    pub fn record_high_watermark(&self, topic: &str, partition: i32, end: i64) {
        self.with(|s| s.row(topic, partition).high_watermark = Some(end));
    }

    /// Records the committed offset found for a partition on assignment.
    pub fn record_committed(&self, topic: &str, partition: i32, offset: i64) {
        self.with(|s| {
            let row = s.row(topic, partition);
            row.durable_offset = Some(row.durable_offset.unwrap_or(0).max(offset));
        });
    }

    /// Records which partitions this collector now consumes.
    pub fn record_assignment(&self, assigned: &[(String, i32)]) {
        self.with(|s| {
            for row in s.partitions.values_mut() {
                row.assigned = false;
            }
            for (topic, partition) in assigned {
                s.row(topic, *partition).assigned = true;
            }
        });
    }

    /// Records a failed attempt to store; the first of an outage counts one failure.
    pub fn record_store_failure(&self, error: &str) {
        self.with(|s| {
            if s.store_error.is_none() {
                s.store_failures += 1;
            }
            s.store_attempts_failed += 1;
            s.store_error = Some(error.to_string());
        });
    }

    /// Records that the store took a batch again.
    pub fn record_store_recovered(&self) {
        self.with(|s| s.store_error = None);
    }

    /// The figures now.
    pub fn snapshot(&self) -> KafkaSnapshot {
        self.with(|s| {
            let now = Instant::now();
            let rate = match (s.samples.back(), s.baseline(now)) {
                (Some(&(_, last)), Some((t0, base))) if now > t0 => {
                    (last - base) as f64 / now.duration_since(t0).as_secs_f64()
                }
                _ => 0.0,
            };
            KafkaSnapshot {
                group: s.group.clone(),
                partitions: s.partitions.values().cloned().collect(),
                duplicates: s.duplicates,
                store_failures: s.store_failures,
                store_attempts_failed: s.store_attempts_failed,
                store_error: s.store_error.clone(),
                rate,
                broker_reachable: s.broker.reachable(),
                broker_error: s.broker.reason().map(str::to_string),
                waiting_topics: s
                    .topics
                    .iter()
                    .filter(|t| !s.partitions.values().any(|p| p.assigned && &p.topic == *t))
                    .cloned()
                    .collect(),
            }
        })
    }

    /// Appends the figures in the Prometheus text exposition format.
    pub fn write_prometheus(&self, out: &mut String) {
        let snap = self.snapshot();
        let mut text = Exposition::new(out);
        let group = snap.group.as_str();
        for (name, kind, help, value) in PARTITION_FIGURES {
            text.family(name, kind, help);
            for p in &snap.partitions {
                if let Some(value) = value(p) {
                    let partition = p.partition.to_string();
                    let labels = [
                        ("group", group),
                        ("topic", &p.topic),
                        ("partition", &partition),
                    ];
                    text.sample(name, &labels, value);
                }
            }
        }
        write_group_figures(&mut text, &snap);
    }
}

/// A figure of each partition: name, kind, help, and its value for a partition (none: not
/// given for that partition).
type PartitionFigure = (
    &'static str,
    MetricKind,
    &'static str,
    fn(&PartitionRow) -> Option<i64>,
);

/// The figures given per partition.
const PARTITION_FIGURES: [PartitionFigure; 5] = [
    (
        "flowsight_kafka_messages_total",
        MetricKind::Counter,
        "Messages made durable in the store (events and dead letters).",
        |p| Some(p.messages as i64),
    ),
    (
        "flowsight_kafka_dead_letters_total",
        MetricKind::Counter,
        "Messages kept in the dead-letter table.",
        |p| Some(p.dead_letters as i64),
    ),
    (
        "flowsight_kafka_consumer_lag",
        MetricKind::Gauge,
        "Messages in the partition not yet durable in the store.",
        |p| if p.assigned { p.lag() } else { None },
    ),
    (
        "flowsight_kafka_durable_offset",
        MetricKind::Gauge,
        "Next offset after what is durable (committed or about to be).",
        |p| p.durable_offset,
    ),
    (
        "flowsight_kafka_assigned",
        MetricKind::Gauge,
        "1 when this collector consumes the partition.",
        |p| Some(i64::from(p.assigned)),
    ),
];

/// The consumer group's own figures: duplicates, store failures, pause, broker, waiting topics.
fn write_group_figures(text: &mut Exposition<'_>, snap: &KafkaSnapshot) {
    let group = snap.group.as_str();
    let of_group = [("group", group)];
    for (name, kind, help, value) in [
        (
            "flowsight_kafka_duplicates_total",
            MetricKind::Counter,
            "Redelivered messages found already stored.",
            snap.duplicates as i64,
        ),
        (
            "flowsight_kafka_store_failures_total",
            MetricKind::Counter,
            "Store failures that paused consumption.",
            snap.store_failures as i64,
        ),
        (
            "flowsight_kafka_store_attempts_failed_total",
            MetricKind::Counter,
            "Attempts to store a batch that failed, each retry of an outage included.",
            snap.store_attempts_failed as i64,
        ),
        (
            "flowsight_kafka_paused",
            MetricKind::Gauge,
            "1 while consumption waits for the store to recover.",
            i64::from(snap.store_error.is_some()),
        ),
    ] {
        text.family(name, kind, help).sample(name, &of_group, value);
    }
    if let Some(up) = snap.broker_reachable {
        let name = "flowsight_kafka_broker_up";
        text.family(
            name,
            MetricKind::Gauge,
            "1 when a Kafka broker answered last, 0 while none can be reached.",
        )
        .sample(name, &of_group, i64::from(up));
    }
    let name = "flowsight_kafka_topic_waiting";
    text.family(
        name,
        MetricKind::Gauge,
        "1 for a subscribed topic of which no partition is assigned here yet (it may not exist yet).",
    );
    for topic in &snap.waiting_topics {
        text.sample(name, &[("group", group), ("topic", topic)], 1);
    }
}

impl State {
    fn row(&mut self, topic: &str, partition: i32) -> &mut PartitionRow {
        self.partitions
            .entry((topic.to_string(), partition))
            .or_insert_with(|| PartitionRow {
                topic: topic.to_string(),
                partition,
                ..Default::default()
            })
    }

    /// The sample to measure the rate from: the newest one at least a window old, else the
    /// oldest kept.
    fn baseline(&self, now: Instant) -> Option<(Instant, u64)> {
        self.samples
            .iter()
            .rev()
            .find(|(t, _)| now.duration_since(*t) >= RATE_WINDOW)
            .or_else(|| self.samples.front())
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_counts_from_what_is_durable() {
        let m = KafkaMetrics::new("g");
        m.record_subscription(&["orders".into(), "payments".into()]);
        m.record_assignment(&[("orders".into(), 0), ("orders".into(), 1)]);
        m.record_committed("orders", 0, 100);
        m.record_high_watermark("orders", 0, 250);
        m.record_durable("orders", 0, 50, 2, 149);
        m.record_high_watermark("orders", 1, 10);
        let snap = m.snapshot();
        assert_eq!(snap.partitions[0].lag(), Some(100));
        assert_eq!(snap.partitions[1].lag(), Some(10));
        assert_eq!(
            (snap.total_lag(), snap.messages(), snap.dead_letters()),
            (110, 50, 2)
        );
        assert_eq!(
            snap.waiting_topics,
            ["payments"],
            "no partition of it assigned"
        );
        let mut text = String::new();
        m.write_prometheus(&mut text);
        assert!(text.contains("flowsight_kafka_topic_waiting{group=\"g\",topic=\"payments\"} 1\n"));
        m.record_assignment(&[("payments".into(), 0)]);
        assert_eq!(m.snapshot().waiting_topics, ["orders"]);
    }

    #[test]
    fn exports_prometheus_text_with_labels() {
        let m = KafkaMetrics::new("flow\"sight");
        m.record_assignment(&[("orders".into(), 2)]);
        m.record_durable("orders", 2, 7, 1, 6);
        m.record_high_watermark("orders", 2, 9);
        m.record_store_failure("disk full");
        m.record_store_failure("disk still full");
        let mut text = String::new();
        m.write_prometheus(&mut text);
        let labels = r#"{group="flow\"sight",topic="orders",partition="2"}"#;
        assert!(
            text.contains(&format!("flowsight_kafka_messages_total{labels} 7\n")),
            "{text}"
        );
        assert!(text.contains(&format!("flowsight_kafka_dead_letters_total{labels} 1\n")));
        assert!(text.contains(&format!("flowsight_kafka_consumer_lag{labels} 2\n")));
        assert!(text.contains("# TYPE flowsight_kafka_consumer_lag gauge\n"));
        assert!(text.contains("flowsight_kafka_paused{group=\"flow\\\"sight\"} 1\n"));
        m.record_store_recovered();
        assert!(m.snapshot().store_error.is_none());
        assert_eq!(m.snapshot().store_failures, 1, "one outage");
        assert!(text
            .contains("flowsight_kafka_store_attempts_failed_total{group=\"flow\\\"sight\"} 2\n"));
    }
}
