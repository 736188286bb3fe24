//! The write path: dedupe, correlate, and keep instances' summaries current, in one transaction.

use crate::config::InstanceRules;
use crate::correlate::{Correlator, InstanceId, Merge};
use crate::mapping::TRACE_KEY;
use crate::store::{AppendReport, DeadLetter, KeyLink};
use crate::CollectorError;
use miner::log::{BusinessKey, Event};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The event attribute holding the XES lifecycle transition.
const LIFECYCLE: &str = "lifecycle:transition";

/// How the label of an instance with only trace keys begins.
const TRACE_LABEL: &str = "trace=";

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
    // Instances held together by trace ids alone have no summary row: look at every use.
    let max: Option<InstanceId> = conn.query_row(
        "SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM instances
                             UNION ALL SELECT MAX(instance) FROM events
                             UNION ALL SELECT MAX(instance) FROM keys)",
        [],
        |r| r.get(0),
    )?;
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
        let result = self.try_append(events);
        self.reload_on_error(result)
    }

    /// Links pairs of keys (e.g. object-to-object relations) atomically, merging instances.
    pub fn link(&mut self, links: &[KeyLink]) -> Result<AppendReport, CollectorError> {
        let result = self.try_link(links);
        self.reload_on_error(result)
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

    fn reload_on_error<T>(
        &mut self,
        result: Result<T, CollectorError>,
    ) -> Result<T, CollectorError> {
        if result.is_err() {
            if let Ok(reloaded) = load_correlator(&self.conn) {
                self.correlator = reloaded;
            }
        }
        result
    }

    fn try_append(&mut self, events: &[Event]) -> Result<AppendReport, CollectorError> {
        let mut report = AppendReport::default();
        let tx = begin(&mut self.conn)?;
        {
            let mut exists = tx.prepare_cached("SELECT 1 FROM events WHERE id = ?1")?;
            let mut seen: HashSet<&str> = HashSet::with_capacity(events.len());
            let mut effects = Effects::default();
            let mut fresh: Vec<(&Event, Option<InstanceId>)> = Vec::with_capacity(events.len());
            for event in events {
                if !seen.insert(event.id.as_str()) || exists.exists([&event.id])? {
                    report.duplicates += 1;
                    continue;
                }
                let assignment = self.correlator.assign(&event.keys);
                effects.add(&assignment, &event.id);
                fresh.push((event, assignment.instance));
            }
            report.merges = effects.merges.len() as u64;
            let touched = effects.write(&tx)?;
            let mut insert_event = tx.prepare_cached(
                "INSERT INTO events (id, instance, activity, ts, source, trace_id, span_id, keys, attributes, lifecycle, end_ts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for (event, instance) in fresh {
                let keys: Vec<(&str, &str)> = event
                    .keys
                    .iter()
                    .map(|k| (k.kind.as_str(), k.value.as_str()))
                    .collect();
                insert_event.execute(params![
                    event.id,
                    instance.map(|i| effects.root(i)),
                    event.activity,
                    event.timestamp,
                    event.source,
                    event.trace_id,
                    event.span_id,
                    serde_json::to_string(&keys).expect("strings serialize"),
                    serde_json::Value::Object(event.attributes.clone()).to_string(),
                    event.attributes.get(LIFECYCLE).and_then(|v| v.as_str()),
                    event.end(),
                ])?;
                report.inserted += 1;
            }
            refresh(&tx, &touched, |i| {
                label_of(&self.correlator, &self.rules, i)
            })?;
        }
        tx.commit()?;
        Ok(report)
    }

    fn try_link(&mut self, links: &[KeyLink]) -> Result<AppendReport, CollectorError> {
        let tx = begin(&mut self.conn)?;
        let mut effects = Effects::default();
        {
            let mut keep = tx.prepare_cached(
                "INSERT OR IGNORE INTO links (kind_a, value_a, kind_b, value_b, qualifier) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for link in links {
                let (a, b) = (&link.from, &link.to);
                keep.execute(params![a.kind, a.value, b.kind, b.value, link.qualifier])?;
                let assignment = self.correlator.assign(&[a.clone(), b.clone()]);
                effects.add(&assignment, &format!("relation {a} → {b}"));
            }
        }
        let touched = effects.write(&tx)?;
        refresh(&tx, &touched, |i| {
            label_of(&self.correlator, &self.rules, i)
        })?;
        tx.commit()?;
        Ok(AppendReport {
            merges: effects.merges.len() as u64,
            ..Default::default()
        })
    }
}

/// What correlating a batch changed, written once at its end. Instances created and absorbed
/// within the batch never reach the database: their keys and events are written straight to
/// the instance they ended in, and only instances stored before the batch have rows to move.
#[derive(Default)]
struct Effects {
    created: HashSet<InstanceId>,
    absorbed_into: HashMap<InstanceId, InstanceId>,
    merges: Vec<(Merge, String)>,
    new_keys: Vec<(BusinessKey, InstanceId)>,
    touched: Vec<InstanceId>,
}

impl Effects {
    fn add(&mut self, assignment: &crate::correlate::Assignment, by: &str) {
        let Some(instance) = assignment.instance else {
            return;
        };
        if assignment.created {
            self.created.insert(instance);
        }
        for merge in &assignment.merges {
            self.absorbed_into.insert(merge.absorbed, merge.survivor);
            self.merges.push((merge.clone(), by.to_string()));
        }
        self.new_keys
            .extend(assignment.new_keys.iter().map(|k| (k.clone(), instance)));
        self.touched.push(instance);
    }

    /// The instance `instance` ended in after every merge of the batch.
    fn root(&self, mut instance: InstanceId) -> InstanceId {
        while let Some(&survivor) = self.absorbed_into.get(&instance) {
            instance = survivor;
        }
        instance
    }

    /// Writes merges and new keys; returns the instances whose summaries must be recomputed.
    fn write(
        &self,
        tx: &rusqlite::Transaction<'_>,
    ) -> Result<BTreeSet<InstanceId>, CollectorError> {
        let mut record = tx.prepare_cached(
            "INSERT INTO merges (survivor, absorbed, absorbed_label, by_event) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (merge, by) in &self.merges {
            let survivor = self.root(merge.survivor);
            let mut label = String::new();
            if !self.created.contains(&merge.absorbed) {
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
        let mut insert_key =
            tx.prepare_cached("INSERT INTO keys (kind, value, instance) VALUES (?1, ?2, ?3)")?;
        for (key, instance) in &self.new_keys {
            insert_key.execute(params![key.kind, key.value, self.root(*instance)])?;
        }
        Ok(self.touched.iter().map(|&i| self.root(i)).collect())
    }
}

/// Starts a write transaction, taking the write lock at once: waiting for another writer then
/// goes through the busy timeout, where upgrading a read transaction would fail at once.
fn begin(conn: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

/// Recomputes the summary row of each touched instance from its events. An instance with no
/// events yet (only linked keys) has no row, nor has one held together by trace ids alone (its
/// label is a trace key only when it has no business key): it is uncorrelated until a business
/// key joins it.
fn refresh(
    tx: &rusqlite::Transaction<'_>,
    touched: &BTreeSet<InstanceId>,
    label: impl Fn(InstanceId) -> String,
) -> Result<(), CollectorError> {
    let mut delete = tx.prepare_cached("DELETE FROM instances WHERE id = ?1")?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO instances (id, label, events, first_ts, last_ts, last_activity)
         SELECT ?1, ?2, COUNT(*), MIN(ts), MAX(ts),
                (SELECT activity FROM events WHERE instance = ?1 ORDER BY ts DESC, seq DESC LIMIT 1)
         FROM events WHERE instance = ?1 HAVING COUNT(*) > 0",
    )?;
    for &instance in touched {
        delete.execute([instance])?;
        let label = label(instance);
        if !label.starts_with(TRACE_LABEL) {
            insert.execute(params![instance, label])?;
        }
    }
    Ok(())
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
