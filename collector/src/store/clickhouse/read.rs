//! The read path: every answer aggregated inside ClickHouse.

use super::db::Db;
use super::judge::StepCountRow;
use super::sql::{self, item, InstanceFilter, StatusRule, VARIANT_SEPARATOR};
use super::write::{DeadLetterRow, LabelRow, LinkRow, ObjectAttributeRow, RootRow};
use super::{state, ClickHouseStore, ClickHouseUrl};
use crate::correlate::InstanceId;
use crate::store::effects::is_business_label;
use crate::store::event_json::{attributes_from_json, keys_from_json};
use crate::store::state_rows::EVENTS;
use crate::store::{
    CaseFilter, DeadLetter, HeldInMemory, InstanceDetail, InstanceOrder, InstancePage,
    InstanceQuery, InstanceStatus, InstanceSummary, KeyLink, MergeRecord, ObjectAttribute,
    StatsQuery, StepStanding, StoreOverview, StoreRead,
};
use crate::CollectorError;
use clickhouse::Row;
use miner::discovery::{NamedActivity, NamedEdge, NamedStats, NamedVariant, ProcessStats};
use miner::log::{BusinessKey, Event};
use miner::performance::DurationStats;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Duration statistics as ClickHouse returns them: (count, total, mean, median, p95, min, max).
type Durations = (u64, i64, i64, i64, i64, i64, i64);

fn durations(d: Durations) -> DurationStats {
    DurationStats {
        count: d.0,
        total: d.1,
        mean: d.2,
        median: d.3,
        p95: d.4,
        min: d.5,
        max: d.6,
    }
}

#[derive(Row, Deserialize)]
struct ItemRow {
    kind: u8,
    k1: String,
    k2: String,
    n: u64,
    cases: u64,
    times: Durations,
}

#[derive(Row, Deserialize)]
struct SummaryRow {
    id: i64,
    label: String,
    events: u64,
    first_ts: i64,
    last_ts: i64,
    last_activity: String,
    status: String,
}

impl From<SummaryRow> for InstanceSummary {
    fn from(r: SummaryRow) -> Self {
        InstanceSummary {
            id: r.id,
            label: r.label,
            status: InstanceStatus::parse(&r.status).unwrap_or(InstanceStatus::Running),
            events: r.events,
            first_event: r.first_ts,
            last_event: r.last_ts,
            last_activity: r.last_activity,
        }
    }
}

/// An event as read back, with the instance it belongs to.
#[derive(Row, Deserialize)]
struct EventRow {
    case_id: i64,
    id: String,
    activity: String,
    ts: i64,
    source: String,
    keys: String,
    trace_id: String,
    span_id: String,
    attributes: String,
}

#[derive(Row, Deserialize)]
struct KeyRow {
    kind: String,
    value: String,
}

#[derive(Row, Deserialize)]
struct MergeRow {
    absorbed: i64,
    absorbed_label: String,
    by_event: String,
}

#[derive(Row, Deserialize)]
struct TextRow {
    text: String,
}

#[derive(Row, Deserialize)]
struct CountRow {
    n: u64,
}

/// A row of `rules` or `models`: a saved text and when it was saved.
#[derive(Row, Serialize, Deserialize)]
struct SavedTextRow {
    text: String,
    saved: i64,
}

impl ClickHouseStore {
    /// The configuration text saved in the database at `url`, read without loading the
    /// store; none when nothing was saved there yet.
    pub fn saved_rules_at(url: &ClickHouseUrl) -> Result<Option<String>, CollectorError> {
        let read = || {
            let db = Db::connect(url)?;
            let tables: CountRow = db.fetch_one(sql::has_rules_table(&url.database))?;
            if tables.n == 0 {
                return Ok(None);
            }
            Ok(db
                .fetch::<TextRow>(sql::saved_rules())?
                .into_iter()
                .next()
                .map(|r| r.text))
        };
        read().map_err(|e| super::unreachable(url, e))
    }
}

#[derive(Row, Deserialize)]
struct CountsRow {
    merges: u64,
    dead_letters: u64,
}

impl StoreRead for ClickHouseStore {
    fn keys(&self) -> Result<Vec<BusinessKey>, CollectorError> {
        Ok(self
            .db
            .fetch::<KeyRow>(sql::all_keys())?
            .into_iter()
            .map(|r| BusinessKey::new(r.kind, r.value))
            .collect())
    }

    fn key_kinds(&self) -> Result<Vec<String>, CollectorError> {
        self.db.fetch::<String>(sql::key_kinds())
    }

    fn links(&self) -> Result<Vec<KeyLink>, CollectorError> {
        Ok(self
            .db
            .fetch::<LinkRow>(sql::all_links())?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    fn process_stats(&self, query: &StatsQuery) -> Result<ProcessStats, CollectorError> {
        if query.cases == CaseFilter::default() && query.activities.is_none() {
            state::read_totals(&self.db)
        } else {
            let rule = match query.cases.status {
                Some(_) => Some(self.status_rule()?.0),
                None => None,
            };
            process_stats(&self.db, query, rule.as_ref().zip(query.cases.status))
        }
    }

    fn instances(&self, query: &InstanceQuery) -> Result<InstancePage, CollectorError> {
        let (rule, _) = self.status_rule()?;
        let search = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let steps = if query.cases.reads_steps() {
            let (ids, names) = state::activity_table(&self.db)?;
            let by_name: HashMap<String, u32> = names
                .into_iter()
                .zip(ids)
                .filter_map(|(n, id)| Some((n, u32::try_from(id).ok()?)))
                .collect();
            Some(query.cases.resolve(|name| by_name.get(name).copied()))
        } else {
            None
        };
        let mut filter = InstanceFilter {
            search,
            status: query.cases.status.map(InstanceStatus::as_str),
            at_step: query.at_step.as_deref(),
            active_since: None,
            key: query.cases.key.as_ref(),
            attribute: query
                .cases
                .attribute
                .as_ref()
                .map(|(n, v)| (n.as_str(), v.as_str())),
            steps: steps.as_ref().map(Option::as_ref),
        };
        let narrowed = search.is_some() || !query.cases.is_empty() || query.at_step.is_some();
        let total: u64 = if narrowed {
            self.db.fetch_one(sql::instance_count(&rule, &filter))?
        } else {
            // Without a search, the counts come from the totals, and a page reads only the
            // recent instances that hold it.
            let (by_status, _) = self.by_status(&rule)?;
            let total = match query.cases.status {
                Some(status) => InstanceStatus::ALL
                    .iter()
                    .position(|s| *s == status)
                    .map_or(0, |i| by_status[i]),
                None => by_status.iter().sum(),
            };
            if query.order == InstanceOrder::Latest {
                let need = query.offset.saturating_add(query.limit);
                filter.active_since = self.recent_window(&rule, &filter, need, total)?;
            }
            total
        };
        let rows: Vec<SummaryRow> = self.db.fetch(sql::instance_page(
            &rule,
            &filter,
            query.order,
            query.offset,
            query.limit,
        ))?;
        Ok(InstancePage {
            total,
            instances: rows.into_iter().map(Into::into).collect(),
        })
    }

    /// Read through the primary key, so that exports visiting every instance stay linear.
    fn instance(&self, id: InstanceId) -> Result<Option<InstanceDetail>, CollectorError> {
        let label = self
            .db
            .fetch::<LabelRow>(sql::labels_of(vec![id]))?
            .into_iter()
            .map(|r| r.label)
            .find(|l| is_business_label(l));
        let Some(label) = label else {
            return Ok(None);
        };
        let roots: Vec<RootRow> = self.db.fetch(sql::roots_around(id))?;
        if roots.iter().any(|r| r.instance == id) {
            return Ok(None);
        }
        let mut members: Vec<InstanceId> = roots.into_iter().map(|r| r.instance).collect();
        members.push(id);
        let events: Vec<Event> = self
            .db
            .fetch::<EventRow>(sql::instance_events(members.clone()))?
            .into_iter()
            .map(event_from_row)
            .collect::<Result<_, _>>()?;
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return Ok(None);
        };
        let (rule, _) = self.status_rule()?;
        let summary = InstanceSummary {
            id,
            label,
            status: rule.status_of(&last.activity, last.timestamp),
            events: events.len() as u64,
            first_event: first.timestamp,
            last_event: last.timestamp,
            last_activity: last.activity.clone(),
        };
        let keys = self
            .db
            .fetch::<KeyRow>(sql::instance_keys(members.clone()))?
            .into_iter()
            .map(|r| BusinessKey::new(r.kind, r.value))
            .collect();
        let merges = self
            .db
            .fetch::<MergeRow>(sql::instance_merges(members))?
            .into_iter()
            .map(|r| MergeRecord {
                absorbed: r.absorbed,
                absorbed_label: r.absorbed_label,
                by_event: r.by_event,
            })
            .collect();
        Ok(Some(InstanceDetail {
            summary,
            keys,
            events,
            merges,
        }))
    }

    fn events_of(
        &self,
        ids: &[InstanceId],
    ) -> Result<HashMap<InstanceId, Vec<Event>>, CollectorError> {
        let mut out: HashMap<InstanceId, Vec<Event>> = HashMap::with_capacity(ids.len());
        if ids.is_empty() {
            return Ok(out);
        }
        for row in self.db.fetch::<EventRow>(sql::events_of(ids.to_vec()))? {
            out.entry(row.case_id)
                .or_default()
                .push(event_from_row(row)?);
        }
        Ok(out)
    }

    fn uncorrelated(&self, limit: u64) -> Result<Vec<Event>, CollectorError> {
        self.db
            .fetch::<EventRow>(sql::uncorrelated(limit))?
            .into_iter()
            .map(event_from_row)
            .collect()
    }

    fn saved_rules(&self) -> Result<Option<String>, CollectorError> {
        self.newest_text(sql::saved_rules())
    }

    fn merged_into(&self, id: InstanceId) -> Result<Option<InstanceId>, CollectorError> {
        let root = |id: InstanceId| -> Result<Option<InstanceId>, CollectorError> {
            Ok(self
                .db
                .fetch::<RootRow>(sql::roots_around(id))?
                .into_iter()
                .find(|r| r.instance == id && r.root != 0 && r.root != id)
                .map(|r| r.root))
        };
        crate::store::follow_merges(id, root)
    }

    fn saved_model(&self) -> Result<Option<String>, CollectorError> {
        self.newest_text(sql::saved_model())
    }

    fn object_attributes(&self) -> Result<Vec<ObjectAttribute>, CollectorError> {
        self.db
            .fetch::<ObjectAttributeRow>(sql::object_attributes())?
            .into_iter()
            .map(ObjectAttributeRow::into_attribute)
            .collect()
    }

    fn dead_letters(&self, limit: u64) -> Result<Vec<DeadLetter>, CollectorError> {
        Ok(self
            .db
            .fetch::<DeadLetterRow>(sql::dead_letters(limit))?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    fn held_in_memory(&self) -> Option<HeldInMemory> {
        self.writer.lock().ok().map(|w| w.held())
    }

    /// From the process state: totals, and a read of the instances active since the longest
    /// limit.
    fn overview(&self) -> Result<StoreOverview, CollectorError> {
        let (rule, judged) = self.status_rule()?;
        let counts: CountsRow = self.db.fetch_one(sql::counts())?;
        let (events, stored) = (self.total(EVENTS)?, self.total(state::STORED)?);
        let (by_status, running_at) = self.by_status(&rule)?;
        let by_last = self
            .db
            .fetch::<StepCountRow>(sql::state::ending_by_step())?
            .into_iter()
            .map(|r| (r.step, r.n));
        let (steps, ended) = StepStanding::tally(
            by_last,
            &self.rules.end_activities,
            &running_at,
            &judged.limits,
        );
        Ok(StoreOverview {
            events: stored,
            instances: by_status.iter().sum(),
            uncorrelated: stored.saturating_sub(events),
            merges: counts.merges,
            by_status,
            latest_event: judged.latest,
            clock: judged.clock,
            steps,
            ended,
            dead_letters: counts.dead_letters,
        })
    }
}

impl ClickHouseStore {
    /// Adds `text` to the text table `table` (`rules` or `models`), whose newest row counts.
    pub(super) fn insert_text(&self, table: &str, text: &str) -> Result<(), CollectorError> {
        self.db.insert(
            table,
            &[SavedTextRow {
                text: text.to_string(),
                saved: chrono::Utc::now().timestamp_micros(),
            }],
        )
    }

    /// The one text `query` reads, if any.
    fn newest_text(&self, query: sql::Sql) -> Result<Option<String>, CollectorError> {
        Ok(self
            .db
            .fetch::<TextRow>(query)?
            .into_iter()
            .next()
            .map(|r| r.text))
    }

    /// The sum of one measure of the process state's totals.
    pub(super) fn total(&self, measure: i64) -> Result<u64, CollectorError> {
        Ok(state::total_of(&self.db, measure)?.max(0) as u64)
    }

    /// The latest start of a window of recent activity holding at least `need` of the
    /// `total` instances `filter` selects, widened fourfold from an hour; none when only all
    /// of history does. A first page then reads the recent instances only.
    fn recent_window(
        &self,
        rule: &StatusRule<'_>,
        filter: &InstanceFilter<'_>,
        need: u64,
        total: u64,
    ) -> Result<Option<i64>, CollectorError> {
        let Some((first, latest)) = state::time_span(&self.db)? else {
            return Ok(None);
        };
        if need >= total {
            return Ok(None);
        }
        let mut span = miner::time::HOUR;
        loop {
            let since = latest.saturating_sub(span);
            if since <= first {
                return Ok(None);
            }
            let recent = InstanceFilter {
                active_since: Some(since),
                ..*filter
            };
            let n: u64 = self.db.fetch_one(sql::instance_count(rule, &recent))?;
            if n >= need {
                return Ok(Some(since));
            }
            span = span.saturating_mul(4);
        }
    }
}

/// Directly-follows statistics, variants and throughput, aggregated by ClickHouse in one
/// statement (see [`sql::stats_items`]).
fn process_stats(
    db: &Db,
    query: &StatsQuery,
    judged: Option<(&sql::StatusRule<'_>, InstanceStatus)>,
) -> Result<ProcessStats, CollectorError> {
    let starts: u64 = db.fetch_one(sql::has_lifecycle_starts())?;
    let names = state::activity_table(db)?;
    let rows: Vec<ItemRow> = db.fetch(sql::stats_items(
        &query.cases,
        query.activities.as_deref(),
        &names,
        starts > 0,
        judged,
    ))?;
    let mut named = NamedStats::default();
    let mut service: HashMap<String, DurationStats> = HashMap::new();
    let mut waiting: HashMap<String, DurationStats> = HashMap::new();
    for row in rows {
        let times = durations(row.times);
        match row.kind {
            item::EDGE => named.edges.push(NamedEdge {
                from: row.k1,
                to: row.k2,
                count: row.n,
                duration: times,
            }),
            item::ACTIVITY => {
                named.events += row.n;
                named.activities.push(NamedActivity {
                    name: row.k1,
                    count: row.n,
                    cases: row.cases,
                    time_to_next: times,
                    service: DurationStats::default(),
                    waiting: DurationStats::default(),
                });
            }
            item::SERVICE if times.count > 0 => {
                service.insert(row.k1, times);
            }
            item::WAITING => {
                waiting.insert(row.k1, times);
            }
            item::START => named.start_activities.push((row.k1, row.n)),
            item::END => named.end_activities.push((row.k1, row.n)),
            item::VARIANT => named.variants.push(NamedVariant {
                activities: row
                    .k1
                    .split(VARIANT_SEPARATOR)
                    .map(str::to_string)
                    .collect(),
                count: row.n,
                mean_throughput: times.mean,
            }),
            item::THROUGHPUT => {
                named.cases = row.n;
                named.throughput = times;
            }
            item::FIRST => named.first_event = Some(times.min),
            item::LAST => named.last_event = Some(times.max),
            _ => {}
        }
    }
    for activity in &mut named.activities {
        activity.service = service.remove(&activity.name).unwrap_or_default();
        activity.waiting = waiting.remove(&activity.name).unwrap_or_default();
    }
    Ok(ProcessStats::from_named(named))
}

fn event_from_row(r: EventRow) -> Result<Event, CollectorError> {
    let optional = |s: String| (!s.is_empty()).then_some(s);
    Ok(Event {
        id: r.id,
        activity: r.activity,
        timestamp: r.ts,
        source: r.source,
        keys: keys_from_json(&r.keys)?,
        trace_id: optional(r.trace_id),
        span_id: optional(r.span_id),
        attributes: attributes_from_json(&r.attributes)?,
    })
}
