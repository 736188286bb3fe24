//! Keeping the instances' summary rows (event count, first and last time, last activity,
//! label) current as batches are written.
//!
//! An instance the batch created, or one that only gained events, is written from what the
//! batch added; an instance that absorbed another, or was stored before without a row, is
//! recomputed from its events. An instance with no
//! events yet (only linked keys) has no row, nor has one held together by trace ids alone (its
//! label is a trace key only when it has no business key): it is uncorrelated until a business
//! key joins it.

use crate::correlate::InstanceId;
use crate::store::effects::{is_business_label, Effects};
use crate::CollectorError;
use foldhash::fast::RandomState;
use miner::log::Event;
use rusqlite::{params, Transaction};
use std::collections::HashMap;

/// What a batch added to one instance.
#[derive(Debug)]
struct Added<'e> {
    events: i64,
    first_ts: i64,
    last_ts: i64,
    last_activity: &'e str,
}

/// What a batch added, per instance it ended in.
#[derive(Debug, Default)]
pub struct BatchSummaries<'e> {
    added: HashMap<InstanceId, Added<'e>, RandomState>,
}

impl<'e> BatchSummaries<'e> {
    /// Counts `event`, stored in `instance` after the events added before it.
    pub fn add(&mut self, instance: InstanceId, event: &'e Event) {
        let ts = event.timestamp;
        self.added
            .entry(instance)
            .and_modify(|a| {
                a.events += 1;
                a.first_ts = a.first_ts.min(ts);
                // A later event wins a tie, as the stored order (time, then arrival) has it.
                if ts >= a.last_ts {
                    a.last_ts = ts;
                    a.last_activity = &event.activity;
                }
            })
            .or_insert(Added {
                events: 1,
                first_ts: ts,
                last_ts: ts,
                last_activity: &event.activity,
            });
    }

    /// Brings the rows of the instances the batch touched up to date. An instance the batch
    /// created holds only the batch's events (a survivor is the older instance, so it absorbed
    /// none stored before): its row is written from what was added. One that absorbed another
    /// instance's events, or was stored before without a row, is recomputed from its events.
    pub fn write(
        &self,
        tx: &Transaction<'_>,
        effects: &Effects,
        label: impl Fn(InstanceId) -> String,
    ) -> Result<(), CollectorError> {
        let mut insert = tx.prepare_cached(
            "INSERT INTO instances (id, label, events, first_ts, last_ts, last_activity)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut update = tx.prepare_cached(
            "UPDATE instances SET label = ?2, events = events + ?3, first_ts = MIN(first_ts, ?4),
                    last_ts = MAX(last_ts, ?5),
                    last_activity = CASE WHEN ?5 >= last_ts THEN ?6 ELSE last_activity END
             WHERE id = ?1",
        )?;
        let absorbing = effects.absorbing();
        let mut rest = Vec::new();
        for instance in effects.touched_roots() {
            let label = label(instance);
            let business = is_business_label(&label);
            let is_new = effects.created.contains(&instance);
            let written = match self.added.get(&instance) {
                // A new instance without a business key gets no row, and has none to remove.
                _ if is_new && !business => true,
                Some(a) if is_new || (business && !absorbing.contains(&instance)) => {
                    let statement = if is_new { &mut insert } else { &mut update };
                    let row = params![
                        instance,
                        label,
                        a.events,
                        a.first_ts,
                        a.last_ts,
                        a.last_activity
                    ];
                    statement.execute(row)? == 1
                }
                _ => false,
            };
            if !written {
                rest.push((instance, label));
            }
        }
        recompute(tx, rest)
    }
}

/// Recomputes the rows of `instances`, each with its label, from their events.
pub fn recompute(
    tx: &Transaction<'_>,
    instances: impl IntoIterator<Item = (InstanceId, String)>,
) -> Result<(), CollectorError> {
    let mut delete = tx.prepare_cached("DELETE FROM instances WHERE id = ?1")?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO instances (id, label, events, first_ts, last_ts, last_activity)
         SELECT ?1, ?2, COUNT(*), MIN(ts), MAX(ts),
                (SELECT activity FROM events WHERE instance = ?1 ORDER BY ts DESC, seq DESC LIMIT 1)
         FROM events WHERE instance = ?1 HAVING COUNT(*) > 0",
    )?;
    for (instance, label) in instances {
        delete.execute([instance])?;
        if is_business_label(&label) {
            insert.execute(params![instance, label])?;
        }
    }
    Ok(())
}
