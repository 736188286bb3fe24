//! The write path: dedupe, correlate, and keep instances' summaries current, in one transaction.

use super::checkpoint::Checkpoints;
use super::live::Live;
use super::retention;
use super::state::{self, Changes, NewStep, StepCache};
use super::summaries::{self, BatchSummaries};
use crate::config::InstanceRules;
use crate::correlate::InstanceId;
use crate::store::effects::{correlate, correlate_links, label_of, Effects};
use crate::store::event_json::{attributes_to_json, keys_to_json};
use crate::store::stable_hash::stable_hash;
use crate::store::standing::LastStep;
use crate::store::{AppendReport, DeadLetter, KeyLink, ObjectAttribute};
use crate::store::{Deleted, HeldInMemory};
use crate::CollectorError;
use foldhash::fast::RandomState;
use miner::log::{Event, Lifecycle};
use miner::time::Micros;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::path::Path;

/// Batches this large are encoded on a thread of their own while they are correlated; for
/// smaller ones (single HTTP or OTLP requests) starting the thread costs more than it saves.
const ENCODE_BESIDE_FROM: usize = 1_000;

/// The single writer: the connection, and the live instances it holds in memory (their keys
/// and the ids of their events).
pub struct Writer {
    conn: Connection,
    live: Live,
    rules: InstanceRules,
    checkpoints: Checkpoints,
}

impl Writer {
    /// A writer over `conn`, the database at `path`; nothing of the history is read into
    /// memory.
    pub fn open(
        conn: Connection,
        path: &Path,
        rules: InstanceRules,
    ) -> Result<Self, CollectorError> {
        Ok(Self {
            live: Live::open(&conn, &rules)?,
            checkpoints: Checkpoints::start(&conn, path)?,
            conn,
            rules,
        })
    }

    /// Called after each write: copies the log into the database when it is long enough (see
    /// [`Checkpoints`]).
    pub fn after_write(&self) {
        self.checkpoints.after_write(&self.conn);
    }

    /// Deletes one slice of the instances idle past `keep` (see [`retention`]).
    pub fn retain_slice(&mut self, keep: Micros) -> Result<Deleted, CollectorError> {
        let result = retention::delete_slice(&mut self.conn, keep, &mut self.live, &self.rules);
        let (deleted, instances) = self.reload_on_error(result)?;
        for instance in instances {
            self.live.evict(instance);
        }
        Ok(deleted)
    }

    /// What the writer holds in memory.
    pub fn held(&self) -> HeldInMemory {
        self.live.held()
    }

    /// Appends a batch atomically. On failure nothing is kept and memory starts afresh (what
    /// it held is read back from the database as needed), so it never runs ahead of what is
    /// stored.
    pub fn append(&mut self, events: &[Event]) -> Result<AppendReport, CollectorError> {
        self.write_healing(|w| w.try_append(events))
    }

    /// Runs a write; on failure memory starts afresh, and when the failure was a damaged
    /// process state, the state is built again from the events and the write (rolled back
    /// with the failure) runs once more: the state is never served wrong.
    fn write_healing(
        &mut self,
        mut write: impl FnMut(&mut Self) -> Result<AppendReport, CollectorError>,
    ) -> Result<AppendReport, CollectorError> {
        let result = write(self);
        match self.reload_on_error(result) {
            Err(CollectorError::StateDamaged(why)) => {
                tracing::warn!(%why, "embedded store: the process state is damaged; building it again from the events");
                state::rebuild(&mut self.conn)?;
                let result = write(self);
                self.reload_on_error(result)
            }
            other => other,
        }
    }

    /// Links pairs of keys (e.g. object-to-object relations) atomically, merging instances.
    pub fn link(&mut self, links: &[KeyLink]) -> Result<AppendReport, CollectorError> {
        self.write_healing(|w| w.try_link(links))
    }

    /// Keeps dead letters atomically; ones already kept are skipped. Returns how many were new.
    pub fn dead_letter(&mut self, letters: &[DeadLetter]) -> Result<u64, CollectorError> {
        let tx = begin(&mut self.conn)?;
        let mut inserted = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO dead_letters (topic, partition, offset, reason, raw, received)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for l in letters {
                inserted += insert.execute(params![
                    l.topic,
                    l.partition,
                    l.offset,
                    l.reason,
                    l.raw,
                    l.received
                ])? as u64;
            }
        }
        tx.commit()?;
        Ok(inserted)
    }

    /// Keeps object attribute values atomically, replacing one kept for the same object,
    /// name and time.
    pub fn set_object_attributes(
        &mut self,
        values: &[ObjectAttribute],
    ) -> Result<(), CollectorError> {
        let tx = begin(&mut self.conn)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO object_attributes (kind, value, name, time, json)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for v in values {
                insert.execute(params![
                    v.object.kind,
                    v.object.value,
                    v.name,
                    v.time,
                    v.value.to_string()
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces the saved configuration text.
    pub fn save_rules(&mut self, text: &str) -> Result<(), CollectorError> {
        self.replace_text("rules", text)
    }

    /// Keeps `bpmn` as the store's reference model, replacing the one kept before.
    pub fn save_model(&mut self, bpmn: &str) -> Result<(), CollectorError> {
        self.replace_text("models", bpmn)
    }

    /// Replaces the one row of the text table `table` (`rules` or `models`) by `text`.
    fn replace_text(&mut self, table: &str, text: &str) -> Result<(), CollectorError> {
        let tx = begin(&mut self.conn)?;
        tx.execute(&format!("DELETE FROM {table}"), [])?;
        tx.execute(
            &format!("INSERT INTO {table} (text, saved) VALUES (?1, ?2)"),
            params![text, chrono::Utc::now().timestamp_micros()],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn reload_on_error<T>(
        &mut self,
        result: Result<T, CollectorError>,
    ) -> Result<T, CollectorError> {
        if result.is_err() {
            if let Ok(fresh) = Live::open(&self.conn, &self.rules) {
                self.live = fresh;
            }
        }
        result
    }

    fn try_append(&mut self, events: &[Event]) -> Result<AppendReport, CollectorError> {
        let encode = || {
            events
                .iter()
                .map(|e| (keys_to_json(&e.keys), attributes_to_json(&e.attributes)))
                .collect::<Vec<_>>()
        };
        if events.len() < ENCODE_BESIDE_FROM {
            return self.store_batch(events, || Ok(encode()));
        }
        // The stored form of the events does not depend on correlation: it is encoded beside
        // it, on another core.
        std::thread::scope(|scope| {
            let encoder = scope.spawn(encode);
            self.store_batch(events, || {
                encoder
                    .join()
                    .map_err(|_| CollectorError::Internal("encoding a batch panicked".into()))
            })
        })
    }

    /// Correlates and stores `events` in one transaction; `encoded` gives each event's keys
    /// and attributes as JSON, in batch order.
    fn store_batch(
        &mut self,
        events: &[Event],
        encoded: impl FnOnce() -> Result<Vec<(String, String)>, CollectorError>,
    ) -> Result<AppendReport, CollectorError> {
        let mut report = AppendReport::default();
        // Each stored event's id hash, position and instance, known once the batch is committed.
        let mut stored = Vec::new();
        let mut newest = None;
        let tx = begin(&mut self.conn)?;
        self.live.catch_up(&tx, &self.rules)?;
        self.live
            .bring_back(&tx, events.iter().flat_map(|e| &e.keys))?;
        let (effects, last_steps) = {
            let known_ids = &self.live.known_ids;
            let batch = correlate(&mut self.live.correlator, events, |e| {
                known_ids.contains(&tx, &e.id, stable_hash(&e.id), e.keys.is_empty())
            })?;
            let (effects, fresh) = (batch.effects, batch.fresh);
            report.duplicates = batch.duplicates;
            report.merges = effects.merges.len() as u64;
            write_effects(&effects, &tx)?;
            let mut insert_event = tx.prepare_cached(
                "INSERT INTO events (id, id_hash, instance, activity, ts, source, trace_id, span_id, keys, attributes, lifecycle, end_ts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            // `fresh` is the batch in order, less its duplicates.
            stored.reserve(fresh.len());
            let mut encoded = events.iter().zip(encoded()?);
            let mut added = BatchSummaries::default();
            let mut new_steps: HashMap<InstanceId, Vec<NewStep<'_>>, RandomState> =
                HashMap::default();
            for (event, instance) in fresh {
                let instance = instance.map(|i| effects.root(i));
                let (transition, end) = (event.transition(), event.end());
                if let Some(i) = instance {
                    added.add(i, event);
                    new_steps.entry(i).or_default().push(NewStep {
                        activity: &event.activity,
                        at: event.timestamp,
                        lifecycle: Lifecycle::parse(transition),
                        end,
                    });
                }
                newest = newest.max(Some(event.timestamp));
                let (keys, attributes) = encoded
                    .find(|(e, _)| std::ptr::eq(*e, event))
                    .map(|(_, json)| json)
                    .ok_or_else(|| CollectorError::Internal("an event lost its encoding".into()))?;
                let id_hash = stable_hash(&event.id);
                insert_event.execute(params![
                    event.id,
                    id_hash,
                    instance,
                    event.activity,
                    event.timestamp,
                    event.source,
                    event.trace_id,
                    event.span_id,
                    keys,
                    attributes,
                    transition,
                    end,
                ])?;
                stored.push((id_hash, tx.last_insert_rowid(), instance));
            }
            let (correlator, rules) = (&self.live.correlator, &self.rules);
            added.write(&tx, &effects, |i| label_of(correlator, rules, i))?;
            let last_steps = refresh_state(&tx, &effects, &new_steps, &mut self.live.steps)?;
            tx.prepare_cached("UPDATE totals SET events = events + ?1")?
                .execute([stored.len()])?;
            (effects, last_steps)
        };
        tx.commit()?;
        report.inserted = stored.len() as u64;
        self.live
            .record(&self.conn, &effects, stored, &last_steps, newest);
        Ok(report)
    }

    fn try_link(&mut self, links: &[KeyLink]) -> Result<AppendReport, CollectorError> {
        let tx = begin(&mut self.conn)?;
        self.live.catch_up(&tx, &self.rules)?;
        {
            let mut keep = tx.prepare_cached(
                "INSERT OR IGNORE INTO links (kind_a, value_a, kind_b, value_b, qualifier) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for link in links {
                let (a, b) = (&link.from, &link.to);
                keep.execute(params![a.kind, a.value, b.kind, b.value, link.qualifier])?;
            }
        }
        self.live
            .bring_back(&tx, links.iter().flat_map(|l| [&l.from, &l.to]))?;
        let effects = correlate_links(&mut self.live.correlator, links);
        write_effects(&effects, &tx)?;
        let labelled = effects
            .touched_roots()
            .into_iter()
            .map(|i| (i, label_of(&self.live.correlator, &self.rules, i)));
        summaries::recompute(&tx, labelled)?;
        let last_steps = refresh_state(&tx, &effects, &HashMap::default(), &mut self.live.steps)?;
        tx.commit()?;
        self.live
            .record(&self.conn, &effects, Vec::new(), &last_steps, None);
        Ok(AppendReport {
            merges: effects.merges.len() as u64,
            ..Default::default()
        })
    }
}

/// Brings the process state of every instance a batch changed up to date (see
/// [`state::refresh`]): those it touched, as they are after it, and those it merged away.
fn refresh_state(
    tx: &rusqlite::Transaction<'_>,
    effects: &Effects,
    new_steps: &HashMap<InstanceId, Vec<NewStep<'_>>, RandomState>,
    steps: &mut StepCache,
) -> Result<Vec<LastStep>, CollectorError> {
    let absorbing = effects.absorbing();
    let changes = Changes {
        added: new_steps,
        created: &effects.created,
        absorbing: &absorbing,
    };
    let absorbed = effects.merges.iter().map(|(merge, _)| merge.absorbed);
    let changed = effects.touched_roots().into_iter().chain(absorbed);
    state::refresh(tx, changed, &changes, steps)
}

/// Writes merges and new keys.
fn write_effects(effects: &Effects, tx: &rusqlite::Transaction<'_>) -> Result<(), CollectorError> {
    let mut record = tx.prepare_cached(
        "INSERT INTO merges (survivor, absorbed, absorbed_label, by_event) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (merge, by) in &effects.merges {
        let survivor = effects.root(merge.survivor);
        let mut label = String::new();
        if !effects.created.contains(&merge.absorbed) {
            label = tx
                .query_row(
                    "SELECT label FROM instances WHERE id = ?1",
                    [merge.absorbed],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or_default();
            for sql in [
                "UPDATE events SET instance = ?1 WHERE instance = ?2",
                "UPDATE keys SET instance = ?1 WHERE instance = ?2",
                "UPDATE merges SET survivor = ?1 WHERE survivor = ?2",
            ] {
                tx.prepare_cached(sql)?
                    .execute([survivor, merge.absorbed])?;
            }
            tx.prepare_cached("DELETE FROM instances WHERE id = ?1")?
                .execute([merge.absorbed])?;
        }
        record.execute(params![survivor, merge.absorbed, label, by])?;
    }
    if !effects.merges.is_empty() {
        tx.prepare_cached("UPDATE totals SET merges = merges + ?1")?
            .execute([effects.merges.len()])?;
    }
    let mut insert_key = tx.prepare_cached(
        "INSERT INTO keys (kind, value, instance, value_hash) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (key, instance) in &effects.new_keys {
        insert_key.execute(params![
            key.kind,
            key.value,
            effects.root(*instance),
            stable_hash(&key.value)
        ])?;
    }
    Ok(())
}

/// Starts a write transaction, taking the write lock at once: waiting for another writer then
/// goes through the busy timeout, where upgrading a read transaction would fail at once.
pub(super) fn begin(conn: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

#[cfg(test)]
impl Writer {
    /// Runs raw SQL on the writer's connection, to simulate failures.
    pub fn execute_for_test(&self, sql: &str) {
        self.conn.execute_batch(sql).unwrap();
    }

    /// Recomputes every instance's summary row from its events, as a reference for the rows
    /// kept batch by batch.
    pub fn recompute_all_for_test(&mut self) {
        let instances: Vec<InstanceId> = self
            .conn
            .prepare("SELECT DISTINCT instance FROM events WHERE instance IS NOT NULL")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        // Labels from every stored key, the evicted instances' too.
        let links: Vec<(miner::log::BusinessKey, InstanceId)> = self
            .conn
            .prepare("SELECT kind, value, instance FROM keys")
            .unwrap()
            .query_map([], |r| {
                let key =
                    miner::log::BusinessKey::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?);
                Ok((key, r.get(2)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let every_key = crate::correlate::Correlator::from_links(links);
        let tx = begin(&mut self.conn).unwrap();
        let labelled = instances
            .into_iter()
            .map(|i| (i, label_of(&every_key, &self.rules, i)));
        summaries::recompute(&tx, labelled).unwrap();
        tx.commit().unwrap();
    }
}
