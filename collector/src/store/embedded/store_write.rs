//! The write path as sources see it: each call one transaction of the store's writer.

use super::EmbeddedStore;
use crate::store::{AppendReport, DeadLetter, Deleted, KeyLink, ObjectAttribute, StoreWrite};
use crate::CollectorError;
use miner::log::Event;
use miner::time::Micros;

impl StoreWrite for EmbeddedStore {
    fn append(&self, events: &[Event]) -> Result<AppendReport, CollectorError> {
        self.with_writer(|w| w.append(events))
    }

    fn link(&self, links: &[KeyLink]) -> Result<AppendReport, CollectorError> {
        self.with_writer(|w| w.link(links))
    }

    fn dead_letter(&self, letters: &[DeadLetter]) -> Result<u64, CollectorError> {
        self.with_writer(|w| w.dead_letter(letters))
    }

    fn set_object_attributes(&self, values: &[ObjectAttribute]) -> Result<(), CollectorError> {
        self.with_writer(|w| w.set_object_attributes(values))
    }

    fn save_rules(&self, text: &str) -> Result<(), CollectorError> {
        self.with_writer(|w| w.save_rules(text))
    }

    fn save_model(&self, bpmn: &str) -> Result<(), CollectorError> {
        self.with_writer(|w| w.save_model(bpmn))
    }

    /// Deletes a slice of [`super::retention::SLICE`] instances per transaction, so ingest
    /// waits at most one slice.
    fn retain(&self, keep: Micros) -> Result<Deleted, CollectorError> {
        let mut total = Deleted::default();
        loop {
            let slice = self.with_writer(|w| w.retain_slice(keep))?;
            total.add(slice);
            if slice.instances < super::retention::SLICE as u64
                && slice.uncorrelated < super::retention::KEYLESS_SLICE as u64
            {
                return Ok(total);
            }
        }
    }

    fn writes_failing(&self) -> bool {
        self.write_failed.load(std::sync::atomic::Ordering::Relaxed)
    }
}
