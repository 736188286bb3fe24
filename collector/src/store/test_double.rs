//! A stand-in for a store in source tests. A source only writes ([`StoreWrite`]), so the
//! double forwards the writing calls to a real store and changes only what a test asks: every
//! write failing (a full disk, a server gone) until told to recover, or one batch held up (a
//! store busy with a large batch). The test reads what was kept from the real store.

#![cfg(test)]

use super::{AppendReport, DeadLetter, Deleted, KeyLink, ObjectAttribute, StoreWrite};
use crate::CollectorError;
use miner::log::Event;
use miner::time::Micros;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The writing half of `inner`, failing or slowed as the test says.
pub struct WriteDouble<S> {
    /// The real store behind the double, where a test reads what was kept.
    pub inner: Arc<S>,
    failure: Mutex<Option<String>>,
    failed: AtomicBool,
    sizes: Mutex<Vec<usize>>,
    held: Mutex<Option<(usize, Duration)>>,
}

impl<S: StoreWrite> WriteDouble<S> {
    /// Forwards every write to `inner`.
    pub fn new(inner: Arc<S>) -> Self {
        Self {
            inner,
            failure: Mutex::new(None),
            failed: AtomicBool::new(false),
            sizes: Mutex::new(Vec::new()),
            held: Mutex::new(None),
        }
    }

    /// Every write from now on fails with a store error saying `reason`, keeping nothing.
    pub fn fail_with(&self, reason: &str) {
        *self.failure.lock().unwrap() = Some(reason.to_string());
    }

    /// Writes reach the real store again.
    pub fn recover(&self) {
        *self.failure.lock().unwrap() = None;
    }

    /// The `batch`-th batch of events (1-based) waits `pause` before it is written.
    /// (Used by the Kafka source's tests, built with the `kafka` feature.)
    #[cfg_attr(not(feature = "kafka"), allow(dead_code))]
    pub fn hold_batch(&self, batch: usize, pause: Duration) {
        *self.held.lock().unwrap() = Some((batch, pause));
    }

    /// The number of events in each batch appended so far.
    /// (Used by the Kafka source's tests, built with the `kafka` feature.)
    #[cfg_attr(not(feature = "kafka"), allow(dead_code))]
    pub fn batch_sizes(&self) -> Vec<usize> {
        self.sizes.lock().unwrap().clone()
    }

    /// Forwards one write unless writes are failing; remembers whether it failed.
    fn write<T>(
        &self,
        forward: impl FnOnce(&S) -> Result<T, CollectorError>,
    ) -> Result<T, CollectorError> {
        let result = match self.failure.lock().unwrap().clone() {
            Some(reason) => Err(CollectorError::store_failure(&reason)),
            None => forward(&self.inner),
        };
        self.failed.store(result.is_err(), Ordering::Relaxed);
        result
    }
}

impl<S: StoreWrite> StoreWrite for WriteDouble<S> {
    fn append(&self, events: &[Event]) -> Result<AppendReport, CollectorError> {
        let batch = {
            let mut sizes = self.sizes.lock().unwrap();
            sizes.push(events.len());
            sizes.len()
        };
        let held = *self.held.lock().unwrap();
        if let Some((_, pause)) = held.filter(|&(n, _)| n == batch) {
            std::thread::sleep(pause);
        }
        self.write(|s| s.append(events))
    }

    fn link(&self, links: &[KeyLink]) -> Result<AppendReport, CollectorError> {
        self.write(|s| s.link(links))
    }

    fn dead_letter(&self, letters: &[DeadLetter]) -> Result<u64, CollectorError> {
        self.write(|s| s.dead_letter(letters))
    }

    fn set_object_attributes(&self, values: &[ObjectAttribute]) -> Result<(), CollectorError> {
        self.write(|s| s.set_object_attributes(values))
    }

    fn save_rules(&self, text: &str) -> Result<(), CollectorError> {
        self.write(|s| s.save_rules(text))
    }

    fn save_model(&self, bpmn: &str) -> Result<(), CollectorError> {
        self.write(|s| s.save_model(bpmn))
    }

    fn retain(&self, keep: Micros) -> Result<Deleted, CollectorError> {
        self.write(|s| s.retain(keep))
    }

    fn writes_failing(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }
}
