//! The read path: the [`Store`] answers, computed next to the data.

use super::stable_hash::stable_hash;
use super::EmbeddedStore;
use crate::correlate::InstanceId;
use crate::store::event_json::{attributes_from_json, keys_from_json};
use crate::store::{
    AppendReport, CaseFilter, DeadLetter, InstanceDetail, InstancePage, InstanceQuery,
    InstanceStatus, InstanceSummary, KeyLink, MergeRecord, ObjectAttribute, StatsQuery, Store,
    StoreOverview,
};
use crate::CollectorError;
use miner::discovery::{ProcessStats, ProcessStatsBuilder};
use miner::log::{BusinessKey, Event, Lifecycle};
use miner::time::Micros;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};
use std::collections::{HashMap, HashSet};

const SUMMARY_COLUMNS: &str = "id, label, events, first_ts, last_ts, last_activity";
const EVENT_COLUMNS: &str = "id, activity, ts, source, keys, trace_id, span_id, attributes";

impl Store for EmbeddedStore {
    fn append(&self, events: &[Event]) -> Result<AppendReport, CollectorError> {
        self.with_writer(|w| w.append(events))
    }

    fn link(&self, links: &[KeyLink]) -> Result<AppendReport, CollectorError> {
        self.with_writer(|w| w.link(links))
    }

    fn keys(&self) -> Result<Vec<BusinessKey>, CollectorError> {
        self.with_reader(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT kind, value FROM keys ORDER BY kind, value")?;
            let keys = stmt
                .query_map([], |r| {
                    Ok(BusinessKey::new(
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(keys)
        })
    }

    fn links(&self) -> Result<Vec<KeyLink>, CollectorError> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT kind_a, value_a, kind_b, value_b, qualifier FROM links ORDER BY rowid",
            )?;
            let links = stmt
                .query_map([], |r| {
                    Ok(KeyLink {
                        from: BusinessKey::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                        to: BusinessKey::new(r.get::<_, String>(2)?, r.get::<_, String>(3)?),
                        qualifier: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(links)
        })
    }

    fn process_stats(&self, query: &StatsQuery) -> Result<ProcessStats, CollectorError> {
        self.with_reader(|conn| {
            let mut builder = ProcessStatsBuilder::new();
            let keep: Option<HashSet<u32>> = query
                .activities
                .as_ref()
                .map(|names| names.iter().map(|n| builder.intern(n)).collect());
            let mut stmt = conn.prepare_cached(
                "SELECT e.instance, e.activity, e.ts, e.lifecycle, e.end_ts FROM instances i JOIN events e ON e.instance = i.id ORDER BY e.instance, e.ts, e.seq",
            )?;
            let mut rows = stmt.query([])?;
            let mut case = CaseBuffer::default();
            let mut current: Option<InstanceId> = None;
            while let Some(row) = rows.next()? {
                let instance: InstanceId = row.get(0)?;
                if current != Some(instance) {
                    case.flush(&query.cases, keep.as_ref(), &mut builder);
                    current = Some(instance);
                }
                let activity = row.get_ref(1)?.as_str().map_err(|e| CollectorError::Corrupt(e.to_string()))?;
                case.activities.push(builder.intern(activity));
                case.timestamps.push(Some(row.get(2)?));
                let transition = row.get_ref(3)?.as_str_or_null().map_err(|e| CollectorError::Corrupt(e.to_string()))?;
                case.lifecycles.push(Lifecycle::parse(transition));
                case.ends.push(row.get(4)?);
            }
            case.flush(&query.cases, keep.as_ref(), &mut builder);
            Ok(builder.finish())
        })
    }

    fn instances(&self, query: &InstanceQuery) -> Result<InstancePage, CollectorError> {
        self.with_reader(|conn| {
            let status = self.status_sql(conn)?;
            let mut conditions = Vec::new();
            let mut condition_params: Vec<SqlValue> = Vec::new();
            if let Some(search) = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                match search.split_once('=') {
                    Some((kind, value)) => {
                        conditions.push("id IN (SELECT instance FROM keys WHERE value_hash = ? AND kind = ? AND value = ?)".to_string());
                        condition_params.push(SqlValue::Integer(stable_hash(value.trim())));
                        condition_params.push(SqlValue::Text(kind.trim().into()));
                        condition_params.push(SqlValue::Text(value.trim().into()));
                    }
                    None => {
                        conditions.push("id IN (SELECT instance FROM keys WHERE value_hash = ? AND value = ?)".to_string());
                        condition_params.push(SqlValue::Integer(stable_hash(search)));
                        condition_params.push(SqlValue::Text(search.into()));
                    }
                }
            }
            if let Some(s) = query.status {
                conditions.push(format!("({}) = ?", status.expr));
                condition_params.extend(status.params.iter().cloned());
                condition_params.push(SqlValue::Text(s.as_str().into()));
            }
            let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
            let total: i64 = conn.query_row(
                &format!("SELECT COUNT(*) FROM instances {filter}"),
                params_from_iter(condition_params.iter()),
                |r| r.get(0),
            )?;
            let page_params = status
                .params
                .iter()
                .chain(&condition_params)
                .cloned()
                .chain([SqlValue::Integer(query.limit as i64), SqlValue::Integer(query.offset as i64)]);
            let mut stmt = conn.prepare(&format!(
                "SELECT {SUMMARY_COLUMNS}, {} FROM instances {filter} ORDER BY last_ts DESC, id DESC LIMIT ? OFFSET ?",
                status.expr
            ))?;
            let instances = stmt
                .query_map(params_from_iter(page_params), summary_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(InstancePage { total: total as u64, instances })
        })
    }

    fn instance(&self, id: InstanceId) -> Result<Option<InstanceDetail>, CollectorError> {
        self.with_reader(|conn| {
            let status = self.status_sql(conn)?;
            let mut params = status.params.clone();
            params.push(SqlValue::Integer(id));
            let summary = conn
                .query_row(
                    &format!("SELECT {SUMMARY_COLUMNS}, {} FROM instances WHERE id = ?", status.expr),
                    params_from_iter(params.iter()),
                    summary_from_row,
                )
                .optional()?;
            let Some(summary) = summary else { return Ok(None) };
            let keys = conn
                .prepare_cached("SELECT kind, value FROM keys WHERE instance = ?1 ORDER BY kind, value")?
                .query_map([id], |r| Ok(BusinessKey::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            let events = query_events(conn, &format!("SELECT {EVENT_COLUMNS} FROM events WHERE instance = ?1 ORDER BY ts, seq"), id)?;
            let merges = conn
                .prepare_cached("SELECT absorbed, absorbed_label, by_event FROM merges WHERE survivor = ?1 ORDER BY rowid")?
                .query_map([id], |r| Ok(MergeRecord { absorbed: r.get(0)?, absorbed_label: r.get(1)?, by_event: r.get(2)? }))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(InstanceDetail { summary, keys, events, merges }))
        })
    }

    fn events_of(
        &self,
        ids: &[InstanceId],
    ) -> Result<HashMap<InstanceId, Vec<Event>>, CollectorError> {
        self.with_reader(|conn| {
            let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE instance = ?1 AND EXISTS (SELECT 1 FROM instances WHERE id = ?1) ORDER BY ts, seq");
            let mut out = HashMap::with_capacity(ids.len());
            for &id in ids {
                let events = query_events(conn, &sql, id)?;
                if !events.is_empty() {
                    out.insert(id, events);
                }
            }
            Ok(out)
        })
    }

    fn uncorrelated(&self, limit: u64) -> Result<Vec<Event>, CollectorError> {
        self.with_reader(|conn| {
            query_events(
                conn,
                &format!("SELECT {EVENT_COLUMNS} FROM events WHERE {UNCORRELATED} ORDER BY seq DESC LIMIT ?1"),
                limit as i64,
            )
        })
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

    fn saved_rules(&self) -> Result<Option<String>, CollectorError> {
        self.with_reader(saved_rules)
    }

    fn object_attributes(&self) -> Result<Vec<ObjectAttribute>, CollectorError> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT kind, value, name, time, json FROM object_attributes ORDER BY kind, value, time, name",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        BusinessKey::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(object, name, time, json)| {
                    let value = serde_json::from_str(&json).map_err(|e| {
                        CollectorError::Internal(format!("stored object attribute {name}: {e}"))
                    })?;
                    Ok(ObjectAttribute {
                        object,
                        name,
                        time,
                        value,
                    })
                })
                .collect()
        })
    }

    fn dead_letters(&self, limit: u64) -> Result<Vec<DeadLetter>, CollectorError> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT topic, partition, offset, reason, raw, received FROM dead_letters
                 ORDER BY received DESC, topic, partition, offset DESC LIMIT ?1",
            )?;
            let letters = stmt
                .query_map([limit as i64], |r| {
                    Ok(DeadLetter {
                        topic: r.get(0)?,
                        partition: r.get(1)?,
                        offset: r.get(2)?,
                        reason: r.get(3)?,
                        raw: r.get(4)?,
                        received: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(letters)
        })
    }

    fn writes_failing(&self) -> bool {
        self.write_failed.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn overview(&self) -> Result<StoreOverview, CollectorError> {
        self.with_reader(|conn| {
            let status = self.status_sql(conn)?;
            let count = |sql: &str| {
                conn.query_row(sql, [], |r| r.get::<_, i64>(0))
                    .map(|n| n as u64)
            };
            let mut by_status = [0u64; 3];
            let mut stmt = conn.prepare(&format!(
                "SELECT {}, COUNT(*) FROM instances GROUP BY 1",
                status.expr
            ))?;
            let mut rows = stmt.query(params_from_iter(status.params.iter()))?;
            while let Some(row) = rows.next()? {
                let name: String = row.get(0)?;
                let i = InstanceStatus::ALL
                    .iter()
                    .position(|s| s.as_str() == name)
                    .unwrap_or(1);
                by_status[i] = row.get::<_, i64>(1)? as u64;
            }
            let events = count("SELECT events FROM totals")?;
            // Every event is either in a summarised instance or uncorrelated.
            let correlated = count("SELECT COALESCE(SUM(events), 0) FROM instances")?;
            Ok(StoreOverview {
                events,
                instances: count("SELECT COUNT(*) FROM instances")?,
                uncorrelated: events.saturating_sub(correlated),
                merges: count("SELECT COUNT(*) FROM merges")?,
                by_status,
                latest_event: status.latest,
                dead_letters: count("SELECT COUNT(*) FROM dead_letters")?,
            })
        })
    }
}

/// The SQL that computes an instance's status, with its parameters.
struct StatusSql {
    expr: String,
    params: Vec<SqlValue>,
    latest: Option<Micros>,
}

impl EmbeddedStore {
    fn status_sql(&self, conn: &Connection) -> Result<StatusSql, CollectorError> {
        let latest: Option<Micros> =
            conn.query_row("SELECT MAX(last_ts) FROM instances", [], |r| r.get(0))?;
        let ends = vec!["?"; self.rules.end_activities.len()].join(", ");
        let mut params: Vec<SqlValue> = self
            .rules
            .end_activities
            .iter()
            .map(|a| SqlValue::Text(a.clone()))
            .collect();
        params.push(SqlValue::Integer(
            latest.unwrap_or(0).saturating_sub(self.rules.stuck_after),
        ));
        Ok(StatusSql {
            expr: format!(
                "CASE WHEN last_activity IN ({ends}) THEN 'completed' WHEN last_ts < ? THEN 'stuck' ELSE 'running' END"
            ),
            params,
            latest,
        })
    }
}

fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<InstanceSummary> {
    let status: String = r.get(6)?;
    Ok(InstanceSummary {
        id: r.get(0)?,
        label: r.get(1)?,
        events: r.get::<_, i64>(2)? as u64,
        first_event: r.get(3)?,
        last_event: r.get(4)?,
        last_activity: r.get(5)?,
        status: InstanceStatus::parse(&status).unwrap_or(InstanceStatus::Running),
    })
}

fn query_events(conn: &Connection, sql: &str, param: i64) -> Result<Vec<Event>, CollectorError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query([param])?;
    let mut events = Vec::new();
    while let Some(r) = rows.next()? {
        events.push(Event {
            id: r.get(0)?,
            activity: r.get(1)?,
            timestamp: r.get(2)?,
            source: r.get(3)?,
            keys: keys_from_json(&r.get::<_, String>(4)?)?,
            trace_id: r.get(5)?,
            span_id: r.get(6)?,
            attributes: attributes_from_json(&r.get::<_, String>(7)?)?,
        });
    }
    Ok(events)
}

/// Events outside every instance: no business key, and no trace joining them to one.
const UNCORRELATED: &str =
    "(instance IS NULL OR NOT EXISTS (SELECT 1 FROM instances WHERE instances.id = events.instance))";

/// The events of one instance while its rows stream by.
#[derive(Default)]
struct CaseBuffer {
    activities: Vec<u32>,
    timestamps: Vec<Option<Micros>>,
    lifecycles: Vec<Lifecycle>,
    ends: Vec<Option<Micros>>,
}

/// Adds one case, with the times of its spans when it has any.
fn add(
    builder: &mut ProcessStatsBuilder,
    activities: &[u32],
    timestamps: &[Option<Micros>],
    lifecycles: &[Lifecycle],
    ends: &[Option<Micros>],
) {
    builder.add_case_with_lifecycles(activities, timestamps, lifecycles);
    if ends.iter().any(Option::is_some) {
        builder.add_intervals(activities, timestamps, ends);
    }
}

impl CaseBuffer {
    /// Adds the buffered case to `builder` if it passes `filter`, projected on `keep`.
    fn flush(
        &mut self,
        filter: &CaseFilter,
        keep: Option<&HashSet<u32>>,
        builder: &mut ProcessStatsBuilder,
    ) {
        if !self.activities.is_empty() && self.passes(filter, builder) {
            match keep {
                None => add(
                    builder,
                    &self.activities,
                    &self.timestamps,
                    &self.lifecycles,
                    &self.ends,
                ),
                Some(keep) => {
                    let kept: Vec<usize> = (0..self.activities.len())
                        .filter(|&i| keep.contains(&self.activities[i]))
                        .collect();
                    let a: Vec<u32> = kept.iter().map(|&i| self.activities[i]).collect();
                    let t: Vec<Option<Micros>> = kept.iter().map(|&i| self.timestamps[i]).collect();
                    let l: Vec<Lifecycle> = kept.iter().map(|&i| self.lifecycles[i]).collect();
                    let e: Vec<Option<Micros>> = kept.iter().map(|&i| self.ends[i]).collect();
                    add(builder, &a, &t, &l, &e);
                }
            }
        }
        self.activities.clear();
        self.timestamps.clear();
        self.lifecycles.clear();
        self.ends.clear();
    }

    fn passes(&self, filter: &CaseFilter, builder: &mut ProcessStatsBuilder) -> bool {
        let in_range = |t: &Option<Micros>| {
            t.is_some_and(|t| {
                filter.from.is_none_or(|f| t >= f) && filter.to.is_none_or(|to| t < to)
            })
        };
        if (filter.from.is_some() || filter.to.is_some()) && !self.timestamps.iter().any(in_range) {
            return false;
        }
        match &filter.variant {
            None => true,
            Some(variant) => {
                variant.len() == self.activities.len()
                    && variant
                        .iter()
                        .zip(&self.activities)
                        .all(|(name, &a)| builder.intern(name) == a)
            }
        }
    }
}

/// The configuration text saved in the database behind `conn`; none in a store written
/// before rules were saved.
pub(super) fn saved_rules(conn: &Connection) -> Result<Option<String>, CollectorError> {
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rules')",
        [],
        |r| r.get(0),
    )?;
    if !has_table {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            "SELECT text FROM rules ORDER BY saved DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?)
}
