//! The bounded queue between the OTLP receivers and the store.
//!
//! Capacity is counted in spans: a request that does not fit is refused at once (the client
//! is told to retry later) instead of being buffered without bound. One writer thread takes
//! everything queued at that moment into one store transaction (group commit) and answers
//! each request when its spans are durable.

use crate::prometheus::{Exposition, MetricKind};
use crate::store::StoreWrite;
use miner::log::Event;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

/// Most spans written in one transaction.
const GROUP_LIMIT: usize = 20_000;

/// Why a request's spans were not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The queue is full: retry later.
    #[error("the collector is busy ({0} spans waiting for the store); retry later")]
    Full(usize),
    /// The request alone is larger than the queue.
    #[error("{spans} spans in one request, more than the queue holds ({capacity})")]
    TooLarge {
        /// Spans in the request.
        spans: usize,
        /// The queue's capacity.
        capacity: usize,
    },
    /// The store failed; nothing of the request was kept.
    #[error("store unavailable, nothing stored: {0}")]
    Store(String),
}

struct Job {
    events: Vec<Event>,
    done: oneshot::Sender<Result<(), QueueError>>,
    _permit: OwnedSemaphorePermit,
}

/// A handle to submit spans; clones share one queue, writer and counters.
#[derive(Clone)]
pub struct SpanQueue {
    permits: Arc<Semaphore>,
    capacity: usize,
    jobs: mpsc::UnboundedSender<Job>,
    counters: Arc<Counters>,
}

/// What the OTLP ingest has done since start.
#[derive(Debug, Default)]
struct Counters {
    stored_spans: AtomicU64,
    rejected_spans: AtomicU64,
    refused_requests: AtomicU64,
    store_failures: AtomicU64,
}

impl SpanQueue {
    /// Starts the writer thread over `store`, holding at most `capacity` spans.
    pub fn start(store: Arc<dyn StoreWrite>, capacity: usize) -> Self {
        let (jobs, queued) = mpsc::unbounded_channel();
        let counters: Arc<Counters> = Arc::default();
        std::thread::Builder::new()
            .name("otlp-writer".into())
            .spawn({
                let counters = counters.clone();
                move || write(queued, store.as_ref(), &counters)
            })
            .expect("starting the OTLP writer thread");
        Self {
            permits: Arc::new(Semaphore::new(capacity)),
            capacity,
            jobs,
            counters,
        }
    }

    /// Counts spans refused as invalid (reported to the client as partial success).
    pub fn count_rejected(&self, spans: u64) {
        self.counters
            .rejected_spans
            .fetch_add(spans, Ordering::Relaxed);
    }

    /// Appends the counters in the Prometheus text exposition format.
    pub fn write_prometheus(&self, out: &mut String) {
        let c = &self.counters;
        let waiting = self.capacity - self.permits.available_permits();
        let mut text = Exposition::new(out);
        for (name, kind, help, value) in [
            (
                "flowsight_otlp_spans_stored_total",
                MetricKind::Counter,
                "Spans made durable.",
                c.stored_spans.load(Ordering::Relaxed),
            ),
            (
                "flowsight_otlp_spans_rejected_total",
                MetricKind::Counter,
                "Invalid spans refused (partial success).",
                c.rejected_spans.load(Ordering::Relaxed),
            ),
            (
                "flowsight_otlp_requests_refused_total",
                MetricKind::Counter,
                "Requests told to retry later because the queue was full.",
                c.refused_requests.load(Ordering::Relaxed),
            ),
            (
                "flowsight_otlp_store_failures_total",
                MetricKind::Counter,
                "Writes of queued spans the store refused.",
                c.store_failures.load(Ordering::Relaxed),
            ),
            (
                "flowsight_otlp_queue_spans",
                MetricKind::Gauge,
                "Spans waiting for the store.",
                waiting as u64,
            ),
            (
                "flowsight_otlp_queue_capacity_spans",
                MetricKind::Gauge,
                "Spans the queue holds at most.",
                self.capacity as u64,
            ),
        ] {
            text.single(name, kind, help, value);
        }
    }

    /// Queues `events` and waits until they are durable.
    pub async fn submit(&self, events: Vec<Event>) -> Result<(), QueueError> {
        if events.is_empty() {
            return Ok(());
        }
        let spans = events.len();
        if spans > self.capacity {
            return Err(QueueError::TooLarge {
                spans,
                capacity: self.capacity,
            });
        }
        let permit = match self.permits.clone().try_acquire_many_owned(spans as u32) {
            Ok(permit) => permit,
            Err(_) => {
                self.counters
                    .refused_requests
                    .fetch_add(1, Ordering::Relaxed);
                return Err(QueueError::Full(
                    self.capacity - self.permits.available_permits(),
                ));
            }
        };
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                events,
                done,
                _permit: permit,
            })
            .map_err(|_| QueueError::Store("the writer has stopped".into()))?;
        answer
            .await
            .unwrap_or_else(|_| Err(QueueError::Store("the writer has stopped".into())))
    }
}

fn write(mut queued: mpsc::UnboundedReceiver<Job>, store: &dyn StoreWrite, counters: &Counters) {
    while let Some(first) = queued.blocking_recv() {
        let mut group = vec![first];
        let mut spans = group[0].events.len();
        while spans < GROUP_LIMIT {
            match queued.try_recv() {
                Ok(job) => {
                    spans += job.events.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        let events: Vec<Event> = group
            .iter()
            .flat_map(|j| j.events.iter().cloned())
            .collect();
        let result = match store.append(&events) {
            Ok(_) => {
                counters
                    .stored_spans
                    .fetch_add(events.len() as u64, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "otlp: the store refused {spans} spans; the senders will retry");
                counters.store_failures.fetch_add(1, Ordering::Relaxed);
                Err(QueueError::Store(e.to_string()))
            }
        };
        for job in group {
            let _ = job.done.send(result.clone());
        }
    }
}
