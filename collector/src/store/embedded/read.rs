//! The read path: the [`Store`] answers, computed next to the data.

use super::schema::KEY_VALUE_HASH_IS;
use super::status::{running_by_step, StatusSql};
use super::{state, EmbeddedStore};
use crate::correlate::InstanceId;
use crate::store::event_json::{attributes_from_json, keys_from_json};
use crate::store::notion::PickActivities;
use crate::store::stable_hash::stable_hash;
use crate::store::trace_codec::Trace;
use crate::store::{
    CaseFilter, DeadLetter, HeldInMemory, InstanceDetail, InstancePage, InstanceQuery,
    InstanceStatus, InstanceSummary, KeyLink, MergeRecord, NotionQuery, ObjectAttribute,
    StatsQuery, StepStanding, StoreOverview, StoreRead, KEY_KINDS_SAMPLE,
};
use crate::CollectorError;
use miner::discovery::ProcessStats;
use miner::log::{BusinessKey, Event};
use miner::notion::ObjectCentric;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};
use std::collections::HashMap;

/// The instances carrying the key `kind=value`, or any key whose value is `search`.
fn search_condition(search: &str) -> (String, Vec<SqlValue>) {
    match search.split_once('=') {
        Some((kind, value)) => {
            state::key_condition("", &BusinessKey::new(kind.trim(), value.trim()))
        }
        None => (
            format!("id IN (SELECT instance FROM keys WHERE {KEY_VALUE_HASH_IS} AND value = ?)"),
            vec![
                SqlValue::Integer(stable_hash(search)),
                SqlValue::Text(search.into()),
            ],
        ),
    }
}

const SUMMARY_COLUMNS: &str = "id, label, events, first_ts, last_ts, last_activity";
const EVENT_COLUMNS: &str = "id, activity, ts, source, keys, trace_id, span_id, attributes";
/// An instance's keys, by kind and value.
const KEYS_OF_INSTANCE: &str =
    "SELECT kind, value FROM keys WHERE instance = ?1 ORDER BY kind, value";
/// The instances merged into one, in the order they were.
const MERGES_INTO_INSTANCE: &str =
    "SELECT absorbed, absorbed_label, by_event FROM merges WHERE survivor = ?1 ORDER BY rowid";

impl StoreRead for EmbeddedStore {
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

    fn key_kinds(&self) -> Result<Vec<String>, CollectorError> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT kind FROM (SELECT kind FROM keys ORDER BY rowid DESC LIMIT ?)
                 GROUP BY kind ORDER BY COUNT(*) DESC, kind",
            )?;
            let kinds = stmt
                .query_map([KEY_KINDS_SAMPLE as i64], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(kinds)
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
            if query.cases == CaseFilter::default() && query.activities.is_none() {
                state::read_totals(conn)
            } else {
                let status = self.judged(conn, &query.cases)?;
                state::scan(conn, &query.cases, query.activities.as_deref(), status)
            }
        })
    }

    fn notion_stats(&self, query: &NotionQuery) -> Result<ObjectCentric, CollectorError> {
        let kept = self
            .notions
            .stats(query, |conn| self.judged(conn, &query.cases));
        kept_or(kept, "the case notions failed; the events answer", || {
            crate::store::notion::from_events(self, query)
        })
    }

    fn attribute_suggestions(&self, limit: usize) -> Result<Vec<String>, CollectorError> {
        let kept = self.with_reader(|conn| super::notions::suggestions(conn, limit));
        kept_or(
            kept,
            "the suggestions failed; the newest instances are sampled",
            || crate::store::suggest::sampled(self, limit),
        )
    }

    fn notion_stats_shown(
        &self,
        query: &NotionQuery,
        keep: &PickActivities<'_>,
    ) -> Result<(ObjectCentric, Option<ObjectCentric>), CollectorError> {
        let kept = self
            .notions
            .stats_shown(query, |conn| self.judged(conn, &query.cases), keep);
        kept_or(kept, "the case notions failed; asked apart", || {
            crate::store::notion::shown_twice(self, query, keep)
        })
    }

    fn instances(&self, query: &InstanceQuery) -> Result<InstancePage, CollectorError> {
        self.with_reader(|conn| {
            let status = self.status_sql(conn)?;
            let (filter, condition_params) = self.instance_filter(&status, query);
            if query.cases.steps_beyond_times() {
                let params: Vec<SqlValue> = status
                    .params
                    .iter()
                    .chain(&condition_params)
                    .cloned()
                    .collect();
                return page_with_steps(conn, &status.expr, &filter, &params, query);
            }
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
                .chain([
                    SqlValue::Integer(query.limit as i64),
                    SqlValue::Integer(query.offset as i64),
                ]);
            let mut stmt = conn.prepare(&format!(
                "SELECT {SUMMARY_COLUMNS}, {} FROM instances {filter} ORDER BY {} LIMIT ? OFFSET ?",
                status.expr,
                query.order.sql()
            ))?;
            let instances = stmt
                .query_map(params_from_iter(page_params), summary_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(InstancePage {
                total: total as u64,
                instances,
            })
        })
    }

    fn instance(&self, id: InstanceId) -> Result<Option<InstanceDetail>, CollectorError> {
        self.with_reader(|conn| {
            let status = self.status_sql(conn)?;
            let mut params = status.params.clone();
            params.push(SqlValue::Integer(id));
            let one = format!(
                "SELECT {SUMMARY_COLUMNS}, {} FROM instances WHERE id = ?",
                status.expr
            );
            let summary = conn
                .query_row(&one, params_from_iter(params.iter()), summary_from_row)
                .optional()?;
            let Some(summary) = summary else {
                return Ok(None);
            };
            let keys = conn
                .prepare_cached(KEYS_OF_INSTANCE)?
                .query_map([id], |r| {
                    Ok(BusinessKey::new(
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let of_instance =
                format!("SELECT {EVENT_COLUMNS} FROM events WHERE instance = ?1 ORDER BY ts, seq");
            let events = query_events(conn, &of_instance, id)?;
            let merges = conn
                .prepare_cached(MERGES_INTO_INSTANCE)?
                .query_map([id], |r| {
                    Ok(MergeRecord {
                        absorbed: r.get(0)?,
                        absorbed_label: r.get(1)?,
                        by_event: r.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(InstanceDetail {
                summary,
                keys,
                events,
                merges,
            }))
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

    fn merged_into(&self, id: InstanceId) -> Result<Option<InstanceId>, CollectorError> {
        self.with_reader(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT survivor FROM merges WHERE absorbed = ?1")?;
            let survivor = |id: InstanceId| stmt.query_row([id], |r| r.get(0)).optional();
            crate::store::follow_merges(id, survivor)
        })
    }

    fn saved_model(&self) -> Result<Option<String>, CollectorError> {
        self.with_reader(|conn| {
            Ok(conn
                .query_row(
                    "SELECT text FROM models ORDER BY saved DESC LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?)
        })
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

    fn held_in_memory(&self) -> Option<HeldInMemory> {
        self.writer.lock().ok().map(|w| w.held())
    }

    fn notions_behind(&self) -> Result<Option<u64>, CollectorError> {
        self.with_reader(|conn| {
            let (followed, newest) = super::notions::followed_on(conn)?;
            Ok(Some((newest - followed).max(0) as u64))
        })
    }

    fn overview(&self) -> Result<StoreOverview, CollectorError> {
        self.with_reader(|conn| {
            let status = self.status_sql(conn)?;
            let count = |sql: &str| {
                conn.query_row(sql, [], |r| r.get::<_, i64>(0))
                    .map(|n| n as u64)
            };
            let totals = state::case_totals(conn, &self.rules.end_activities)?;
            // Only instances active since the longest limit are read: the rest are completed
            // (counted by their last activity in the totals) or stuck.
            let mut stmt = conn.prepare(&running_by_step(
                self.rules.end_activities.len(),
                &status.stuck_before,
            ))?;
            let params = std::iter::once(SqlValue::Integer(status.stuck_everywhere_before()))
                .chain(status.ends())
                .chain(status.limits());
            let running_at: HashMap<String, u64> = stmt
                .query_map(params_from_iter(params), |r| {
                    Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
                })?
                .collect::<Result<_, _>>()?;
            let running: u64 = running_at.values().sum();
            let stuck = totals.cases.saturating_sub(totals.completed + running);
            let (steps, ended) = StepStanding::tally(
                state::instances_by_last_step(conn)?,
                &self.rules.end_activities,
                &running_at,
                &status.limits,
            );
            let events = count("SELECT events FROM totals")?;
            Ok(StoreOverview {
                events,
                instances: totals.cases,
                // Every event is either in a summarised instance or uncorrelated.
                uncorrelated: events.saturating_sub(totals.events),
                merges: count("SELECT merges FROM totals")?,
                by_status: [totals.completed, running, stuck],
                latest_event: status.latest,
                clock: status.clock,
                steps,
                ended,
                dead_letters: count("SELECT COUNT(*) FROM dead_letters")?,
            })
        })
    }
}

impl EmbeddedStore {
    /// The `WHERE` clause of the instances `query` selects (empty for all), with its
    /// parameters: the search, the step they stand at, their status and the narrowing filters.
    fn instance_filter(
        &self,
        status: &StatusSql,
        query: &InstanceQuery,
    ) -> (String, Vec<SqlValue>) {
        let mut conditions = Vec::new();
        let mut params: Vec<SqlValue> = Vec::new();
        if let Some(search) = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let (condition, values) = search_condition(search);
            conditions.push(condition);
            params.extend(values);
        }
        if let Some(step) = &query.at_step {
            let ends = vec!["?"; self.rules.end_activities.len()].join(", ");
            conditions.push(format!(
                "last_activity = ? AND last_activity NOT IN ({ends})"
            ));
            params.push(SqlValue::Text(step.clone()));
            params.extend(status.ends());
        }
        if let Some(wanted) = query.cases.status {
            let (condition, values) = status.condition(wanted);
            conditions.extend(condition);
            params.extend(values);
        }
        let (narrowing, narrowing_params) = state::narrowing_conditions("", &query.cases);
        conditions.extend(narrowing);
        params.extend(narrowing_params);
        if conditions.is_empty() {
            (String::new(), params)
        } else {
            (format!("WHERE {}", conditions.join(" AND ")), params)
        }
    }
}

/// A page of the instances `filter` selects (its `params` after the status expression's) that
/// have the steps `query` asks for, newest first: each candidate's stored steps are read.
fn page_with_steps(
    conn: &Connection,
    status: &str,
    filter: &str,
    params: &[SqlValue],
    query: &InstanceQuery,
) -> Result<InstancePage, CollectorError> {
    let mut page = InstancePage {
        total: 0,
        instances: Vec::new(),
    };
    let Some(selected) = state::case_ids(conn, &query.cases)? else {
        return Ok(page);
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT {SUMMARY_COLUMNS}, {status}, t.steps FROM instances
         JOIN state_traces t ON t.instance = id {filter} ORDER BY {}",
        query.order.sql()
    ))?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    while let Some(row) = rows.next()? {
        let blob = row
            .get_ref(7)?
            .as_blob()
            .map_err(|e| CollectorError::Corrupt(e.to_string()))?;
        let trace = Trace::decode(blob)?;
        if !selected.matches(&trace.activities, &trace.timestamps) {
            continue;
        }
        if page.total >= query.offset && (page.instances.len() as u64) < query.limit {
            page.instances.push(summary_from_row(row)?);
        }
        page.total += 1;
    }
    Ok(page)
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

/// The answer of the state kept beside the store (`kept`), or `fallback`'s when that state has
/// none (not followed far enough yet) or failed, which is logged as `failed`.
fn kept_or<T>(
    kept: Result<Option<T>, CollectorError>,
    failed: &str,
    fallback: impl FnOnce() -> Result<T, CollectorError>,
) -> Result<T, CollectorError> {
    match kept {
        Ok(Some(answer)) => Ok(answer),
        Ok(None) => fallback(),
        Err(e) => {
            tracing::warn!(error = %e, "embedded store: {failed}");
            fallback()
        }
    }
}
