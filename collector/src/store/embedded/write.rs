//! The write path: dedupe, correlate, and keep instances' summaries current, in one transaction.

use crate::config::InstanceRules;
use crate::correlate::{Correlator, InstanceId};
use crate::mapping::TRACE_KEY;
use crate::store::AppendReport;
use crate::CollectorError;
use miner::log::{BusinessKey, Event};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;

/// The single writer: the connection and the key graph that mirrors its `keys` table.
pub struct Writer {
    conn: Connection,
    correlator: Correlator,
    rules: InstanceRules,
}

/// Rebuilds the key graph from the `keys` table.
pub fn load_correlator(conn: &Connection) -> Result<Correlator, CollectorError> {
    let mut stmt = conn.prepare("SELECT kind, value, instance FROM keys")?;
    let links = stmt
        .query_map([], |r| {
            Ok((
                BusinessKey::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                r.get(2)?,
            ))
        })?
        .collect::<Result<Vec<(BusinessKey, InstanceId)>, _>>()?;
    let mut correlator = Correlator::from_links(links);
    let max: Option<InstanceId> =
        conn.query_row("SELECT MAX(id) FROM instances", [], |r| r.get(0))?;
    correlator.reserve_through(max.unwrap_or(0));
    Ok(correlator)
}

impl Writer {
    /// A writer over `conn` whose key graph is `correlator`.
    pub fn new(conn: Connection, correlator: Correlator, rules: InstanceRules) -> Self {
        Self {
            conn,
            correlator,
            rules,
        }
    }

    /// Appends a batch atomically. On failure nothing is kept and the key graph is reloaded
    /// from the database, so memory never runs ahead of what is stored.
    pub fn append(&mut self, events: &[Event]) -> Result<AppendReport, CollectorError> {
        match self.try_append(events) {
            Ok(report) => Ok(report),
            Err(e) => {
                if let Ok(reloaded) = load_correlator(&self.conn) {
                    self.correlator = reloaded;
                }
                Err(e)
            }
        }
    }

    fn try_append(&mut self, events: &[Event]) -> Result<AppendReport, CollectorError> {
        let mut report = AppendReport::default();
        let tx = self.conn.transaction()?;
        let mut touched = BTreeSet::new();
        {
            let mut exists = tx.prepare_cached("SELECT 1 FROM events WHERE id = ?1")?;
            let mut insert_event = tx.prepare_cached(
                "INSERT INTO events (id, instance, activity, ts, source, trace_id, span_id, keys, attributes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            let mut insert_key =
                tx.prepare_cached("INSERT INTO keys (kind, value, instance) VALUES (?1, ?2, ?3)")?;
            let mut insert_instance = tx.prepare_cached(
                "INSERT INTO instances (id, label, events, first_ts, last_ts, last_activity) VALUES (?1, '', 0, ?2, ?2, ?3)",
            )?;
            for event in events {
                if exists.exists([&event.id])? {
                    report.duplicates += 1;
                    continue;
                }
                let assignment = self.correlator.assign(&event.keys);
                for merge in &assignment.merges {
                    let label: String = tx
                        .query_row(
                            "SELECT label FROM instances WHERE id = ?1",
                            [merge.absorbed],
                            |r| r.get(0),
                        )
                        .optional()?
                        .unwrap_or_default();
                    tx.execute(
                        "UPDATE events SET instance = ?1 WHERE instance = ?2",
                        [merge.survivor, merge.absorbed],
                    )?;
                    tx.execute(
                        "UPDATE keys SET instance = ?1 WHERE instance = ?2",
                        [merge.survivor, merge.absorbed],
                    )?;
                    tx.execute(
                        "UPDATE merges SET survivor = ?1 WHERE survivor = ?2",
                        [merge.survivor, merge.absorbed],
                    )?;
                    tx.execute("DELETE FROM instances WHERE id = ?1", [merge.absorbed])?;
                    tx.execute(
                        "INSERT INTO merges (survivor, absorbed, absorbed_label, by_event) VALUES (?1, ?2, ?3, ?4)",
                        params![merge.survivor, merge.absorbed, label, event.id],
                    )?;
                    touched.remove(&merge.absorbed);
                    report.merges += 1;
                }
                if let Some(instance) = assignment.instance {
                    if assignment.created {
                        insert_instance.execute(params![
                            instance,
                            event.timestamp,
                            event.activity
                        ])?;
                    }
                    for key in &assignment.new_keys {
                        insert_key.execute(params![key.kind, key.value, instance])?;
                    }
                    touched.insert(instance);
                }
                let keys: Vec<(&str, &str)> = event
                    .keys
                    .iter()
                    .map(|k| (k.kind.as_str(), k.value.as_str()))
                    .collect();
                insert_event.execute(params![
                    event.id,
                    assignment.instance,
                    event.activity,
                    event.timestamp,
                    event.source,
                    event.trace_id,
                    event.span_id,
                    serde_json::to_string(&keys).expect("strings serialize"),
                    serde_json::Value::Object(event.attributes.clone()).to_string(),
                ])?;
                report.inserted += 1;
            }
            let mut refresh = tx.prepare_cached(
                "UPDATE instances SET
                    label = ?2,
                    events = (SELECT COUNT(*) FROM events WHERE instance = ?1),
                    first_ts = (SELECT MIN(ts) FROM events WHERE instance = ?1),
                    last_ts = (SELECT MAX(ts) FROM events WHERE instance = ?1),
                    last_activity = (SELECT activity FROM events WHERE instance = ?1 ORDER BY ts DESC, seq DESC LIMIT 1)
                 WHERE id = ?1",
            )?;
            for &instance in &touched {
                refresh.execute(params![
                    instance,
                    label_of(&self.correlator, &self.rules, instance)
                ])?;
            }
        }
        tx.commit()?;
        Ok(report)
    }
}

/// The instance's preferred key: by the configured kind order, trace ids last.
fn label_of(correlator: &Correlator, rules: &InstanceRules, instance: InstanceId) -> String {
    let rank = |k: &BusinessKey| {
        let configured = rules.label_kinds.iter().position(|kind| *kind == k.kind);
        (k.kind == TRACE_KEY, configured.unwrap_or(usize::MAX))
    };
    correlator
        .keys_of(instance)
        .iter()
        .enumerate()
        .min_by_key(|(i, k)| (rank(k), *i))
        .map(|(_, k)| k.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
impl Writer {
    /// Runs raw SQL on the writer's connection, to simulate failures.
    pub fn execute_for_test(&self, sql: &str) {
        self.conn.execute_batch(sql).unwrap();
    }
}
