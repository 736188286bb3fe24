//! The consume loop: one thread polls and maps messages into batches, another makes each
//! batch durable and only then stores its offsets for commit.
//!
//! A batch waits in the poller while the writer is busy and stops growing at its limit, so a
//! slow or failing store stops polling (backpressure) instead of buffering without bound.
//! Offsets are stored with librdkafka's auto-commit (`enable.auto.offset.store=false`): what
//! is committed, periodically, on rebalance and on shutdown, never runs ahead of what is
//! durable.

use super::context::{is_unreachable, SourceContext};
use super::message::{Decoder, KafkaMessage};
use super::{KafkaConfig, KafkaMetrics};
use crate::mapping::MappingConfig;
use crate::store::{AppendReport, DeadLetter, StoreWrite};
use crate::CollectorError;
use miner::log::Event;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Headers, Message};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// First wait before retrying a failed store; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between retries of a failed store.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often the loops look at the shutdown flag.
const TICK: Duration = Duration::from_millis(100);
/// How often a due batch is offered again while the writer is busy and no message comes.
const OFFER_AGAIN: Duration = Duration::from_millis(5);

/// Asks a running source to stop: it finishes the batch in hand, commits and leaves its group.
#[derive(Debug, Clone, Default)]
pub struct Shutdown(Arc<AtomicBool>);

impl Shutdown {
    /// A flag not yet raised.
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the flag.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the flag is raised.
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

type SourceConsumer = BaseConsumer<SourceContext>;

/// Consumes `config.topics` into `store` until `shutdown` is requested.
pub fn run(
    config: &KafkaConfig,
    mapping: &MappingConfig,
    store: Arc<dyn StoreWrite>,
    metrics: Arc<KafkaMetrics>,
    shutdown: Shutdown,
) -> Result<(), CollectorError> {
    config
        .validate()
        .map_err(|message| CollectorError::Config {
            path: "[kafka]".into(),
            message,
        })?;
    let consumer: Arc<SourceConsumer> = Arc::new(
        client_config(config)
            .create_with_context(SourceContext {
                metrics: metrics.clone(),
            })
            .map_err(kafka_error)?,
    );
    let topics: Vec<&str> = config.topics.iter().map(String::as_str).collect();
    metrics.record_subscription(&config.topics);
    consumer.subscribe(&topics).map_err(kafka_error)?;
    tracing::info!(brokers = %config.brokers, topics = ?config.topics, group = %config.group, "kafka: consuming");

    // A rendezvous: a batch passes only when the writer is ready for it (see `poll_batches`).
    let (hand_over, batches) = sync_channel::<Batch>(0);
    let writer = {
        let (consumer, metrics, shutdown) = (consumer.clone(), metrics.clone(), shutdown.clone());
        std::thread::Builder::new()
            .name("kafka-writer".into())
            .spawn(move || write_batches(batches, store.as_ref(), &consumer, &metrics, &shutdown))
            .map_err(|e| CollectorError::Internal(format!("starting the kafka writer: {e}")))?
    };
    poll_batches(&consumer, config, mapping, &hand_over, &shutdown);
    drop(hand_over);
    writer
        .join()
        .map_err(|_| CollectorError::Internal("the kafka writer panicked".into()))?;
    match consumer.commit_consumer_state(CommitMode::Sync) {
        Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
        Err(e) => {
            tracing::warn!(error = %e, "kafka: final commit failed; the last batch will be redelivered and deduplicated")
        }
    }
    consumer.unsubscribe();
    tracing::info!("kafka: stopped");
    Ok(())
}

fn client_config(config: &KafkaConfig) -> ClientConfig {
    let mut client = ClientConfig::new();
    client
        .set("bootstrap.servers", &config.brokers)
        .set("group.id", &config.group)
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set("auto.commit.interval.ms", "1000")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", config.session_timeout_ms.to_string())
        .set(
            "topic.metadata.refresh.interval.ms",
            config.metadata_refresh_ms.to_string(),
        )
        .set("statistics.interval.ms", "1000")
        .set("enable.partition.eof", "false")
        .set_log_level(RDKafkaLogLevel::Warning);
    if let Some(name) = &config.instance_id {
        client.set("group.instance.id", name);
    }
    for (key, value) in &config.options {
        client.set(key, value);
    }
    client
}

fn kafka_error(e: KafkaError) -> CollectorError {
    CollectorError::Source(format!("kafka: {e}"))
}

/// Messages of one poll round, mapped, with the last offset seen per partition.
#[derive(Default)]
struct Batch {
    events: Vec<Event>,
    dead_letters: Vec<DeadLetter>,
    positions: BTreeMap<(String, i32), Position>,
}

/// What a batch holds of one partition.
#[derive(Default)]
struct Position {
    last_offset: i64,
    messages: u64,
    dead_letters: u64,
}

impl Batch {
    fn len(&self) -> usize {
        self.events.len() + self.dead_letters.len()
    }

    fn add(&mut self, message: &KafkaMessage<'_>, decoder: &Decoder<'_>) {
        let place = (message.topic, message.partition);
        let position = match self
            .positions
            .iter_mut()
            .find(|((topic, partition), _)| (topic.as_str(), *partition) == place)
        {
            Some((_, position)) => position,
            None => self
                .positions
                .entry((message.topic.to_string(), message.partition))
                .or_default(),
        };
        position.last_offset = position.last_offset.max(message.offset);
        position.messages += 1;
        match decoder.decode(message) {
            Ok(event) => self.events.push(event),
            Err(reason) => {
                position.dead_letters += 1;
                self.dead_letters.push(DeadLetter {
                    topic: message.topic.to_string(),
                    partition: message.partition,
                    offset: message.offset,
                    reason,
                    raw: message.payload.unwrap_or_default().to_vec(),
                    received: now_micros(),
                });
            }
        }
    }
}

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Fills batches and hands them over until shutdown. A batch is offered to the writer once
/// `batch_wait_ms` have passed since its first message; while the writer is still busy with
/// the previous one it keeps filling, up to `batch_size` messages. So under light load events
/// are stored soon, and under heavy load batches grow with the backlog, which spreads each
/// commit's fixed cost over more events.
fn poll_batches(
    consumer: &SourceConsumer,
    config: &KafkaConfig,
    mapping: &MappingConfig,
    hand_over: &SyncSender<Batch>,
    shutdown: &Shutdown,
) {
    let wait = Duration::from_millis(config.batch_wait_ms);
    let decoder = Decoder::new(mapping, config.max_message_bytes);
    let mut batch = Batch::default();
    let mut due = None::<Instant>;
    while !shutdown.requested() {
        if batch.len() >= config.batch_size {
            if hand_over.send(std::mem::take(&mut batch)).is_err() {
                return;
            }
            due = None;
            continue;
        }
        if due.is_some_and(|d| Instant::now() >= d) {
            match hand_over.try_send(std::mem::take(&mut batch)) {
                Ok(()) => due = None,
                Err(TrySendError::Full(kept)) => batch = kept,
                Err(TrySendError::Disconnected(_)) => return,
            }
        }
        let timeout = match due {
            None => TICK,
            Some(d) => d
                .saturating_duration_since(Instant::now())
                .clamp(OFFER_AGAIN, TICK),
        };
        match consumer.poll(timeout) {
            None => {}
            Some(Err(e)) if is_unreachable(&e) => consumer.context().broker_failed(&e.to_string()),
            Some(Err(e)) => tracing::warn!(error = %e, "kafka: consumer error"),
            Some(Ok(m)) => {
                let headers = m.headers().map_or_else(Vec::new, |h| {
                    h.iter().map(|header| (header.key, header.value)).collect()
                });
                let message = KafkaMessage {
                    topic: m.topic(),
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key(),
                    headers,
                    payload: m.payload(),
                    timestamp_ms: m.timestamp().to_millis(),
                };
                batch.add(&message, &decoder);
                due.get_or_insert_with(|| Instant::now() + wait);
            }
        }
    }
    if batch.len() > 0 {
        let _ = hand_over.send(batch);
    }
}

/// Makes each batch durable, then stores its offsets for commit. A stored batch is freed on
/// another thread: its many small allocations would otherwise hold up the next write.
fn write_batches(
    batches: Receiver<Batch>,
    store: &dyn StoreWrite,
    consumer: &SourceConsumer,
    metrics: &KafkaMetrics,
    shutdown: &Shutdown,
) {
    let (release, released) = sync_channel::<Batch>(1);
    // Should the thread not start, `send` fails and gives the batch back to be freed here.
    let _releaser = std::thread::Builder::new()
        .name("kafka-release".into())
        .spawn(move || released.into_iter().for_each(drop));
    for batch in batches {
        let Some(report) = persist(&batch, store, metrics, shutdown) else {
            tracing::warn!("kafka: stopping with a batch the store did not take; it was not committed and will be redelivered");
            return;
        };
        metrics.record_duplicates(report.duplicates);
        for ((topic, partition), position) in &batch.positions {
            if let Err(e) = consumer.store_offset(topic, *partition, position.last_offset) {
                tracing::debug!(%topic, partition, error = %e, "kafka: partition moved on before its offset was stored; the new owner re-reads and deduplicates");
            }
            metrics.record_durable(
                topic,
                *partition,
                position.messages,
                position.dead_letters,
                position.last_offset,
            );
        }
        let _ = release.send(batch);
    }
}

/// Stores a batch, retrying with backoff while the store fails. `None` when shutdown came
/// first.
fn persist(
    batch: &Batch,
    store: &dyn StoreWrite,
    metrics: &KafkaMetrics,
    shutdown: &Shutdown,
) -> Option<AppendReport> {
    let mut backoff = FIRST_BACKOFF;
    let mut failing = false;
    loop {
        let attempt = || -> Result<AppendReport, CollectorError> {
            let report = if batch.events.is_empty() {
                AppendReport::default()
            } else {
                store.append(&batch.events)?
            };
            if !batch.dead_letters.is_empty() {
                store.dead_letter(&batch.dead_letters)?;
            }
            Ok(report)
        };
        match attempt() {
            Ok(report) => {
                if failing {
                    tracing::info!("kafka: the store is back; consuming again");
                    metrics.record_store_recovered();
                }
                return Some(report);
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "kafka: the store failed; consumption paused, nothing committed");
                metrics.record_store_failure(&e.to_string());
                failing = true;
                let until = Instant::now() + backoff;
                while Instant::now() < until {
                    if shutdown.requested() {
                        return None;
                    }
                    std::thread::sleep(TICK.min(until.saturating_duration_since(Instant::now())));
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::InstanceRules;
    use crate::store::{EmbeddedStore, StoreRead, WriteDouble};
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

    fn produce(producer: &BaseProducer, from: usize, count: usize) {
        for i in from..from + count {
            let payload = format!(
                r#"{{"type":"OrderPlaced","id":"e{i}","time":"2026-01-05T08:00:00Z","data":{{"orderId":"o{i}"}}}}"#
            );
            producer
                .send(BaseRecord::<(), _>::to("orders").payload(&payload))
                .unwrap();
        }
        producer.poll(Duration::ZERO);
    }

    fn wait_for_events(store: &EmbeddedStore, events: u64) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while store.overview().unwrap().events < events {
            assert!(Instant::now() < deadline, "waiting for {events} events");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn batches_grow_to_their_limit_while_the_store_is_busy() {
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("orders", 1, 1).unwrap();
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", cluster.bootstrap_servers())
            .create()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(EmbeddedStore::open(dir.path(), InstanceRules::default()).unwrap());
        // The second batch takes a second, as with a store busy with a large batch.
        let writes = Arc::new(WriteDouble::new(store.clone()));
        writes.hold_batch(2, Duration::from_secs(1));
        let config = KafkaConfig {
            brokers: cluster.bootstrap_servers(),
            topics: vec!["orders".into()],
            group: "batches".into(),
            batch_size: 2_000,
            batch_wait_ms: 10,
            // Fetches answer at once, so light load comes in small batches.
            options: [("fetch.wait.max.ms".to_string(), "10".to_string())].into(),
            ..KafkaConfig::default()
        };
        let mapping = crate::CollectorConfig::parse(fixtures::ORDER_FLOW_CONFIG)
            .unwrap()
            .mapping;
        let shutdown = Shutdown::new();
        let consumer = {
            let (store, shutdown) = (writes.clone(), shutdown.clone());
            let metrics = Arc::new(KafkaMetrics::new(&config.group));
            std::thread::spawn(move || run(&config, &mapping, store, metrics, shutdown))
        };
        // One message while the consumer joins, then a steady stream of about 10,000 a second
        // for 1.5 s.
        produce(&producer, 0, 1);
        producer.flush(Duration::from_secs(5)).unwrap();
        wait_for_events(&store, 1);
        let rounds = 150;
        for round in 0..rounds {
            produce(&producer, 1 + round * 100, 100);
            std::thread::sleep(Duration::from_millis(10));
        }
        producer.flush(Duration::from_secs(5)).unwrap();
        let total = 1 + rounds * 100;
        wait_for_events(&store, total as u64);
        shutdown.request();
        consumer.join().unwrap().unwrap();

        let sizes = writes.batch_sizes();
        assert_eq!(sizes.iter().sum::<usize>(), total, "{sizes:?}");
        assert_eq!(
            sizes[0], 1,
            "an idle store takes a batch as soon as it is due"
        );
        assert!(sizes[1] < 1_000, "light load, small batches: {sizes:?}");
        assert!(
            sizes.iter().all(|&n| n <= 2_000),
            "never over the limit: {sizes:?}"
        );
        assert!(
            sizes.contains(&2_000),
            "while the store was busy a batch grew to the limit: {sizes:?}"
        );
    }
}
