//! The bounded queue between the OTLP receivers and the store.
//!
//! Capacity is counted in spans: a request that does not fit is refused at once (the client
//! is told to retry later) instead of being buffered without bound. One writer thread takes
//! everything queued at that moment into one store transaction (group commit) and answers
//! each request when its spans are durable.

use crate::store::Store;
use miner::log::Event;
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

/// A handle to submit spans; clones share one queue and writer.
#[derive(Clone)]
pub struct SpanQueue {
    permits: Arc<Semaphore>,
    capacity: usize,
    jobs: mpsc::UnboundedSender<Job>,
}

impl SpanQueue {
    /// Starts the writer thread over `store`, holding at most `capacity` spans.
    pub fn start(store: Arc<dyn Store>, capacity: usize) -> Self {
        let (jobs, queued) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("otlp-writer".into())
            .spawn(move || write(queued, store.as_ref()))
            .expect("starting the OTLP writer thread");
        Self {
            permits: Arc::new(Semaphore::new(capacity)),
            capacity,
            jobs,
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
        let permit = self
            .permits
            .clone()
            .try_acquire_many_owned(spans as u32)
            .map_err(|_| QueueError::Full(self.capacity - self.permits.available_permits()))?;
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

fn write(mut queued: mpsc::UnboundedReceiver<Job>, store: &dyn Store) {
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
        let result = store.append(&events).map(|_| ()).map_err(|e| {
            tracing::warn!(error = %e, "otlp: the store refused {spans} spans; the senders will retry");
            QueueError::Store(e.to_string())
        });
        for job in group {
            let _ = job.done.send(result.clone());
        }
    }
}
