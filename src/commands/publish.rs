//! Publishing generated events to a Kafka topic, so the demo can run through a broker the
//! way services would feed Flowsight.

use anyhow::{bail, Context};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Counts messages the broker did not take, keeping the first error.
#[derive(Default)]
struct Deliveries {
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            self.failed.fetch_add(1, Ordering::Relaxed);
            let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
            first.get_or_insert_with(|| e.to_string());
        }
    }
}

/// Creates `topic` with `partitions` partitions unless it exists.
pub async fn ensure_topic(brokers: &str, topic: &str, partitions: i32) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .context("connecting to Kafka")?;
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let results = admin
        .create_topics([&new], &AdminOptions::new())
        .await
        .with_context(|| format!("creating topic {topic} on {brokers}"))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => bail!("creating topic {name}: {code}"),
        }
    }
    Ok(())
}

/// Produces each envelope as one JSON message keyed by its order (so an order's events keep
/// their order in one partition), with a `type` header, and waits until all are delivered.
pub fn publish(
    brokers: &str,
    topic: &str,
    envelopes: &[Value],
    on_sent: impl Fn(u64),
) -> anyhow::Result<u64> {
    let producer: ThreadedProducer<Deliveries> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "20")
        .create_with_context(Deliveries::default())
        .context("connecting to Kafka")?;
    for envelope in envelopes {
        let payload = envelope.to_string();
        let key = order_key(envelope);
        let kind = envelope["type"].as_str().unwrap_or_default();
        let headers = OwnedHeaders::new().insert(Header {
            key: "type",
            value: Some(kind),
        });
        let mut record = BaseRecord::to(topic).payload(&payload).headers(headers);
        if let Some(key) = &key {
            record = record.key(key.as_str());
        }
        let mut pending = record;
        loop {
            match producer.send(pending) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    pending = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((e, _)) => return Err(e).with_context(|| format!("producing to {topic}")),
            }
        }
        on_sent(1);
    }
    producer
        .flush(Duration::from_secs(60))
        .context("waiting for Kafka to take the demo events")?;
    let deliveries = producer.context();
    let failed = deliveries.failed.load(Ordering::Relaxed);
    if failed > 0 {
        let first = deliveries
            .first_error
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        bail!(
            "{failed} of {} demo events were not delivered to {topic}: {}",
            envelopes.len(),
            first.as_deref().unwrap_or("unknown error")
        );
    }
    Ok(envelopes.len() as u64)
}

/// The order (or other business) id an envelope's data carries, as the message key.
fn order_key(envelope: &Value) -> Option<String> {
    let data = envelope.get("data")?;
    ["orderId", "refId", "paymentId", "pickId", "shipmentId"]
        .iter()
        .find_map(|field| match data.get(*field)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}
