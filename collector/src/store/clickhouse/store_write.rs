//! The write path as sources see it: each call one batch of the store's writer.

use super::ClickHouseStore;
use crate::store::{AppendReport, DeadLetter, Deleted, KeyLink, ObjectAttribute, StoreWrite};
use crate::CollectorError;
use miner::log::Event;

impl StoreWrite for ClickHouseStore {
    fn append(&self, events: &[Event]) -> Result<AppendReport, CollectorError> {
        self.with_writer(|w, db| w.append(db, events))
    }

    fn link(&self, links: &[KeyLink]) -> Result<AppendReport, CollectorError> {
        self.with_writer(|w, db| w.link(db, links))
    }

    fn dead_letter(&self, letters: &[DeadLetter]) -> Result<u64, CollectorError> {
        self.with_writer(|w, db| w.dead_letter(db, letters))
    }

    fn save_rules(&self, text: &str) -> Result<(), CollectorError> {
        self.insert_text("rules", text)
    }

    fn save_model(&self, bpmn: &str) -> Result<(), CollectorError> {
        self.insert_text("models", bpmn)
    }

    fn set_object_attributes(&self, values: &[ObjectAttribute]) -> Result<(), CollectorError> {
        self.with_writer(|w, db| w.set_object_attributes(db, values))
    }

    fn retain(&self, keep: miner::time::Micros) -> Result<Deleted, CollectorError> {
        self.with_writer(|w, db| w.retain(db, keep))
    }

    fn writes_failing(&self) -> bool {
        self.write_failed.load(std::sync::atomic::Ordering::Relaxed)
    }
}
