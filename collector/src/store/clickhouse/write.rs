//! The write path: dedupe against stored ids, correlate in memory, then write the batch's
//! correlation rows in one insert before its events, so a crash between the two leaves a key
//! graph that places the redelivered events exactly where they were going.

use super::db::Db;
use super::live::LiveGraph;
use super::retention;
use super::schema::{KEY_ROW, LABEL_ROW, MERGE_ROW, RETENTION_ROW, ROOT_ROW};
use super::sql;
use super::state::{lifecycle_code, BatchChange, StateKeeper};
use crate::config::InstanceRules;
use crate::correlate::InstanceId;
use crate::store::effects::{correlate, correlate_links, is_business_label, label_of, Effects};
use crate::store::event_json::{attributes_to_json, keys_to_json};
use crate::store::ClickHouseUrl;
use crate::store::{AppendReport, DeadLetter, Deleted, HeldInMemory, KeyLink, ObjectAttribute};
use crate::CollectorError;
use clickhouse::Row;
use miner::log::{BusinessKey, Event, Lifecycle};
use miner::time::Micros;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// A row of `events`.
#[derive(Debug, Row, Serialize)]
struct EventRow {
    instance: i64,
    ts: i64,
    time: u32,
    seq: u64,
    id: String,
    activity: String,
    source: String,
    trace_id: String,
    span_id: String,
    keys: String,
    attributes: String,
    lifecycle: u8,
    end_ts: i64,
    has_end: u8,
}

/// A row holding one id (`event_ids`, and lookups of it).
#[derive(Debug, Row, Serialize, Deserialize)]
struct IdRow {
    id: String,
}

/// A row of `correlation`.
#[derive(Debug, Row, Serialize)]
struct CorrelationRow {
    row_type: u8,
    version: u64,
    instance: i64,
    other: i64,
    key_kind: String,
    key_value: String,
    label: String,
    by_event: String,
}

/// A row of `links`.
#[derive(Debug, Row, Serialize, Deserialize)]
pub struct LinkRow {
    kind_a: String,
    value_a: String,
    kind_b: String,
    value_b: String,
    qualifier: String,
    seq: u64,
}

/// A row of `object_attributes`: one value of an object's attribute, its JSON text.
#[derive(Debug, Row, Serialize, Deserialize)]
pub struct ObjectAttributeRow {
    kind: String,
    value: String,
    name: String,
    time: i64,
    json: String,
}

impl ObjectAttributeRow {
    /// The row of `v`.
    pub fn of(v: &ObjectAttribute) -> Self {
        Self {
            kind: v.object.kind.clone(),
            value: v.object.value.clone(),
            name: v.name.clone(),
            time: v.time,
            json: v.value.to_string(),
        }
    }

    /// The value the row keeps.
    pub fn into_attribute(self) -> Result<ObjectAttribute, CollectorError> {
        let value = serde_json::from_str(&self.json).map_err(|e| {
            CollectorError::Internal(format!("stored object attribute {}: {e}", self.name))
        })?;
        Ok(ObjectAttribute {
            object: BusinessKey::new(self.kind, self.value),
            name: self.name,
            time: self.time,
            value,
        })
    }
}

/// A row of `dead_letters`.
#[derive(Debug, Row, Serialize, Deserialize)]
pub struct DeadLetterRow {
    topic: String,
    msg_partition: i32,
    msg_offset: i64,
    reason: String,
    raw: Vec<u8>,
    received: i64,
}

impl From<LinkRow> for KeyLink {
    fn from(r: LinkRow) -> Self {
        KeyLink {
            from: BusinessKey::new(r.kind_a, r.value_a),
            to: BusinessKey::new(r.kind_b, r.value_b),
            qualifier: r.qualifier,
        }
    }
}

impl From<DeadLetterRow> for DeadLetter {
    fn from(r: DeadLetterRow) -> Self {
        DeadLetter {
            topic: r.topic,
            partition: r.msg_partition,
            offset: r.msg_offset,
            reason: r.reason,
            raw: r.raw,
            received: r.received,
        }
    }
}

/// An absorbed instance and the instance it belongs to now.
#[derive(Debug, Row, Deserialize)]
pub struct RootRow {
    /// The absorbed instance.
    pub instance: i64,
    /// The instance it belongs to.
    pub root: i64,
}

/// An instance's current label.
#[derive(Debug, Row, Deserialize)]
pub struct LabelRow {
    /// The instance.
    pub case_id: i64,
    /// Its label.
    pub label: String,
}

#[derive(Debug, Row, Deserialize)]
struct PositionRow {
    topic: String,
    msg_partition: i32,
    msg_offset: i64,
}

#[derive(Debug, Row, Deserialize)]
struct HighWaterRow {
    instance: i64,
    event_instance: i64,
    version: u64,
    seq: u64,
    link_seq: u64,
}

/// The single writer: the key graph mirroring the `correlation` table, which absorbed instance
/// ids each instance stands for, and the counters of versions and sequence numbers.
pub struct Writer {
    /// Set when a write failed: memory may be ahead of the database, so the state is reloaded
    /// before the next write (the database may be down now, and back by then).
    stale: bool,
    live: LiveGraph,
    url: ClickHouseUrl,
    version: u64,
    seq: u64,
    link_seq: u64,
    rules: InstanceRules,
    state: StateKeeper,
}

impl Writer {
    /// Opens the writer on what the database holds: its counters, and a process state
    /// complete through the newest batch; no key is read until it reappears.
    pub fn load(
        db: &Db,
        url: &ClickHouseUrl,
        rules: InstanceRules,
    ) -> Result<Self, CollectorError> {
        let marks: HighWaterRow = db.fetch_one(sql::high_water_marks())?;
        let state = StateKeeper::load(db, marks.version)?;
        let live = LiveGraph::open(
            url,
            &rules,
            marks.instance.max(marks.event_instance),
            super::state::latest(db)?,
        );
        Ok(Self {
            state,
            stale: false,
            live,
            url: url.clone(),
            version: marks.version,
            seq: marks.seq,
            link_seq: marks.link_seq,
            rules,
        })
    }

    /// Appends a batch. After a failure the writer's state is reloaded from the database before
    /// the next write, so memory never runs ahead of what is stored.
    pub fn append(&mut self, db: &Db, events: &[Event]) -> Result<AppendReport, CollectorError> {
        self.refresh_if_stale(db)?;
        let result = self.try_append(db, events);
        self.stale = result.is_err();
        result
    }

    /// Links pairs of keys, merging instances.
    pub fn link(&mut self, db: &Db, links: &[KeyLink]) -> Result<AppendReport, CollectorError> {
        self.refresh_if_stale(db)?;
        let result = self.try_link(db, links);
        self.stale = result.is_err();
        result
    }

    /// Keeps dead letters; ones already kept are skipped. Returns how many were new.
    pub fn dead_letter(&mut self, db: &Db, letters: &[DeadLetter]) -> Result<u64, CollectorError> {
        if letters.is_empty() {
            return Ok(0);
        }
        let position =
            |topic: &str, partition: i32, offset: i64| format!("{topic}/{partition}/{offset}");
        let topics: HashSet<String> = letters.iter().map(|l| l.topic.clone()).collect();
        let positions: Vec<String> = letters
            .iter()
            .map(|l| position(&l.topic, l.partition, l.offset))
            .collect();
        let mut seen: HashSet<String> = db
            .fetch::<PositionRow>(sql::stored_dead_letters(
                topics.into_iter().collect(),
                positions,
            ))?
            .into_iter()
            .map(|r| position(&r.topic, r.msg_partition, r.msg_offset))
            .collect();
        let rows: Vec<DeadLetterRow> = letters
            .iter()
            .filter(|l| seen.insert(position(&l.topic, l.partition, l.offset)))
            .map(|l| DeadLetterRow {
                topic: l.topic.clone(),
                msg_partition: l.partition,
                msg_offset: l.offset,
                reason: l.reason.clone(),
                raw: l.raw.clone(),
                received: l.received,
            })
            .collect();
        db.insert("dead_letters", &rows)?;
        Ok(rows.len() as u64)
    }

    /// Keeps object attribute values; the table keeps the last one per object, name and time.
    pub fn set_object_attributes(
        &mut self,
        db: &Db,
        values: &[ObjectAttribute],
    ) -> Result<(), CollectorError> {
        if values.is_empty() {
            return Ok(());
        }
        let rows: Vec<ObjectAttributeRow> = values.iter().map(ObjectAttributeRow::of).collect();
        db.insert("object_attributes", &rows)
    }

    /// Deletes the whole instances whose last event is more than `keep` before the newest
    /// event, and older events without a key (see [`super::retention`]).
    pub fn retain(&mut self, db: &Db, keep: Micros) -> Result<Deleted, CollectorError> {
        self.refresh_if_stale(db)?;
        let result = self.try_retain(db, keep);
        self.stale = result.is_err();
        result
    }

    fn try_retain(&mut self, db: &Db, keep: Micros) -> Result<Deleted, CollectorError> {
        let mut deleted = Deleted::default();
        let Some(before) = retention::horizon(db, keep)? else {
            return Ok(deleted);
        };
        loop {
            let old = retention::old_instances(db, before)?;
            if old.is_empty() {
                break;
            }
            self.mark_retention(db)?;
            let rows = retention::rows_of(db, old.clone())?;
            let mut members = old.clone();
            for instance in &old {
                members.extend(self.live.absorbed.get(instance).into_iter().flatten());
            }
            retention::delete_instances(db, members)?;
            let events: u64 = rows.iter().map(|r| r.events).sum();
            self.state
                .take_out(db, self.version, &rows, events as i64)?;
            for instance in &old {
                self.live.evict(*instance);
            }
            deleted.instances += old.len() as u64;
            deleted.events += events;
        }
        if retention::old_keyless(db, before)? > 0 {
            self.mark_retention(db)?;
            deleted.uncorrelated = retention::delete_keyless(db, before)?;
            self.state
                .take_out(db, self.version, &[], deleted.uncorrelated as i64)?;
        }
        Ok(deleted)
    }

    /// Opens a step of retention as a batch of its own (see [`super::retention`]).
    fn mark_retention(&mut self, db: &Db) -> Result<(), CollectorError> {
        self.version += 1;
        db.insert(
            "correlation",
            &[CorrelationRow {
                row_type: RETENTION_ROW,
                version: self.version,
                instance: 0,
                other: 0,
                key_kind: String::new(),
                key_value: String::new(),
                label: String::new(),
                by_event: String::new(),
            }],
        )
    }

    /// What the writer holds in memory.
    pub fn held(&self) -> HeldInMemory {
        self.live.held()
    }

    fn refresh_if_stale(&mut self, db: &Db) -> Result<(), CollectorError> {
        if self.stale {
            *self = Self::load(db, &self.url, self.rules.clone())?;
        }
        Ok(())
    }

    fn try_append(&mut self, db: &Db, events: &[Event]) -> Result<AppendReport, CollectorError> {
        if events.is_empty() {
            return Ok(AppendReport::default());
        }
        let mut report = AppendReport::default();
        let ids: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
        let stored: HashSet<String> = db
            .fetch::<IdRow>(sql::stored_event_ids(
                ids.into_iter().map(str::to_string).collect(),
            ))?
            .into_iter()
            .map(|r| r.id)
            .collect();
        // Redelivered events bring nothing back: they are skipped.
        let fresh_keys = events
            .iter()
            .filter(|e| !stored.contains(&e.id))
            .flat_map(|e| e.keys.iter());
        self.live.bring_back(db, fresh_keys)?;
        let batch = correlate(&mut self.live.correlator, events, |e| {
            Ok::<_, CollectorError>(stored.contains(&e.id))
        })?;
        let (effects, fresh) = (batch.effects, batch.fresh);
        report.duplicates = batch.duplicates;
        report.merges = effects.merges.len() as u64;
        self.version += 1;
        let labels = self.labels(&effects);
        let correlation = self.correlation_rows(db, &effects, &labels)?;
        db.insert("correlation", &correlation)?;
        let rows: Vec<EventRow> = fresh
            .iter()
            .map(|(event, instance)| {
                self.seq += 1;
                event_row(event, instance.map_or(0, |i| effects.root(i)), self.seq)
            })
            .collect();
        db.insert("events", &rows)?;
        let ids: Vec<IdRow> = rows.into_iter().map(|r| IdRow { id: r.id }).collect();
        db.insert("event_ids", &ids)?;
        report.inserted = ids.len() as u64;
        let last_steps = self.state.refresh(
            db,
            &BatchChange {
                version: self.version,
                effects: &effects,
                fresh: &fresh,
                labels: &labels,
                absorbed: &self.live.absorbed,
            },
        )?;
        let newest = fresh.iter().map(|(e, _)| e.timestamp).max();
        self.live.record(&effects, &last_steps, newest);
        Ok(report)
    }

    fn try_link(&mut self, db: &Db, links: &[KeyLink]) -> Result<AppendReport, CollectorError> {
        let rows: Vec<LinkRow> = links
            .iter()
            .map(|link| {
                self.link_seq += 1;
                LinkRow {
                    kind_a: link.from.kind.clone(),
                    value_a: link.from.value.clone(),
                    kind_b: link.to.kind.clone(),
                    value_b: link.to.value.clone(),
                    qualifier: link.qualifier.clone(),
                    seq: self.link_seq,
                }
            })
            .collect();
        self.live
            .bring_back(db, links.iter().flat_map(|l| [&l.from, &l.to]))?;
        let effects = correlate_links(&mut self.live.correlator, links);
        self.version += 1;
        let labels = self.labels(&effects);
        let correlation = self.correlation_rows(db, &effects, &labels)?;
        db.insert("correlation", &correlation)?;
        db.insert("links", &rows)?;
        let last_steps = self.state.refresh(
            db,
            &BatchChange {
                version: self.version,
                effects: &effects,
                fresh: &[],
                labels: &labels,
                absorbed: &self.live.absorbed,
            },
        )?;
        self.live.record(&effects, &last_steps, None);
        Ok(AppendReport {
            merges: effects.merges.len() as u64,
            ..Default::default()
        })
    }

    /// The label of each instance a batch touched, as it is after the batch.
    fn labels(&self, effects: &Effects) -> HashMap<InstanceId, String> {
        effects
            .touched_roots()
            .into_iter()
            .map(|i| (i, label_of(&self.live.correlator, &self.rules, i)))
            .collect()
    }

    /// The correlation rows of a batch: its new keys, the absorbed instances' new roots, the
    /// merges, and the `labels` of the instances it touched.
    fn correlation_rows(
        &mut self,
        db: &Db,
        effects: &Effects,
        labels_now: &HashMap<InstanceId, String>,
    ) -> Result<Vec<CorrelationRow>, CollectorError> {
        let version = self.version;
        let row = |row_type: u8, instance: i64, other: i64| CorrelationRow {
            row_type,
            version,
            instance,
            other,
            key_kind: String::new(),
            key_value: String::new(),
            label: String::new(),
            by_event: String::new(),
        };
        let mut rows = Vec::new();
        for (key, instance) in &effects.new_keys {
            rows.push(CorrelationRow {
                key_kind: key.kind.clone(),
                key_value: key.value.clone(),
                ..row(KEY_ROW, effects.root(*instance), 0)
            });
        }
        let earlier = effects.absorbed_stored();
        let labels: HashMap<InstanceId, String> = if earlier.is_empty() {
            HashMap::new()
        } else {
            db.fetch::<LabelRow>(sql::labels_of(earlier))?
                .into_iter()
                .filter(|r| is_business_label(&r.label))
                .map(|r| (r.case_id, r.label))
                .collect()
        };
        for (merge, by) in &effects.merges {
            let survivor = effects.root(merge.survivor);
            if !effects.created.contains(&merge.absorbed) {
                let mut members = self
                    .live
                    .absorbed
                    .remove(&merge.absorbed)
                    .unwrap_or_default();
                members.push(merge.absorbed);
                for &member in &members {
                    rows.push(row(ROOT_ROW, member, survivor));
                }
                self.live
                    .absorbed
                    .entry(survivor)
                    .or_default()
                    .extend(members);
            }
            rows.push(CorrelationRow {
                label: labels.get(&merge.absorbed).cloned().unwrap_or_default(),
                by_event: by.clone(),
                ..row(MERGE_ROW, survivor, merge.absorbed)
            });
        }
        for (&instance, label) in labels_now {
            rows.push(CorrelationRow {
                label: label.clone(),
                ..row(LABEL_ROW, instance, 0)
            });
        }
        Ok(rows)
    }
}

/// The `events` row of `event`, placed in `instance` (0: no key).
fn event_row(event: &Event, instance: InstanceId, seq: u64) -> EventRow {
    let lifecycle = lifecycle_code(Lifecycle::parse(event.transition()));
    let end = event.end();
    EventRow {
        instance,
        ts: event.timestamp,
        time: event
            .timestamp
            .div_euclid(1_000_000)
            .clamp(0, i64::from(u32::MAX)) as u32,
        seq,
        id: event.id.clone(),
        activity: event.activity.clone(),
        source: event.source.clone(),
        trace_id: event.trace_id.clone().unwrap_or_default(),
        span_id: event.span_id.clone().unwrap_or_default(),
        keys: keys_to_json(&event.keys),
        attributes: attributes_to_json(&event.attributes),
        lifecycle,
        end_ts: end.unwrap_or(0),
        has_end: u8::from(end.is_some()),
    }
}
