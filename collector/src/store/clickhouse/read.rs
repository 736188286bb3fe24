//! The read path: every answer aggregated inside ClickHouse.

use super::db::Db;
use super::sql::{self, InstanceFilter, StatusRule};
use super::write::{DeadLetterRow, LinkRow};
use super::ClickHouseStore;
use crate::correlate::InstanceId;
use crate::store::{
    AppendReport, DeadLetter, InstanceDetail, InstancePage, InstanceQuery, InstanceStatus,
    InstanceSummary, KeyLink, MergeRecord, StatsQuery, Store, StoreOverview,
};
use crate::CollectorError;
use clickhouse::Row;
use miner::discovery::{NamedActivity, NamedEdge, NamedStats, NamedVariant, ProcessStats};
use miner::log::{BusinessKey, Event};
use miner::performance::DurationStats;
use serde::Deserialize;
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
struct TotalsRow {
    cases: u64,
    events: u64,
    first_event: i64,
    last_event: i64,
    throughput: Durations,
}

#[derive(Row, Deserialize)]
struct VariantRow {
    acts: Vec<String>,
    cases: u64,
    mean: i64,
}

#[derive(Row, Deserialize)]
struct EdgeRow {
    source: String,
    target: String,
    n: u64,
    duration: Durations,
}

#[derive(Row, Deserialize)]
struct ActivityRow {
    activity: String,
    n: u64,
    cases: u64,
    time_to_next: Durations,
}

#[derive(Row, Deserialize)]
struct TimesRow {
    kind: u8,
    activity: String,
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

#[derive(Row, Deserialize)]
struct EventRow {
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
struct LatestRow {
    instances: u64,
    latest: i64,
}

#[derive(Row, Deserialize)]
struct CountsRow {
    events: u64,
    correlated: u64,
    merges: u64,
    dead_letters: u64,
}

#[derive(Row, Deserialize)]
struct StatusCountRow {
    status: String,
    n: u64,
}

impl Store for ClickHouseStore {
    fn append(&self, events: &[Event]) -> Result<AppendReport, CollectorError> {
        self.with_writer(|w, db| w.append(db, events))
    }

    fn link(&self, links: &[KeyLink]) -> Result<AppendReport, CollectorError> {
        self.with_writer(|w, db| w.link(db, links))
    }

    fn keys(&self) -> Result<Vec<BusinessKey>, CollectorError> {
        Ok(self
            .db
            .fetch::<KeyRow>(sql::all_keys())?
            .into_iter()
            .map(|r| BusinessKey::new(r.kind, r.value))
            .collect())
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
        process_stats(&self.db, query)
    }

    fn instances(&self, query: &InstanceQuery) -> Result<InstancePage, CollectorError> {
        let (rule_ends, stuck_before, _) = self.status_rule()?;
        let rule = StatusRule {
            end_activities: &rule_ends,
            stuck_before,
        };
        let search = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let filter = InstanceFilter {
            search,
            status: query.status.map(InstanceStatus::as_str),
        };
        let total: u64 = self.db.fetch_one(sql::instance_count(&rule, &filter))?;
        let rows: Vec<SummaryRow> = self.db.fetch(sql::instance_page(
            &rule,
            &filter,
            query.offset,
            query.limit,
        ))?;
        Ok(InstancePage {
            total,
            instances: rows.into_iter().map(Into::into).collect(),
        })
    }

    fn instance(&self, id: InstanceId) -> Result<Option<InstanceDetail>, CollectorError> {
        let (rule_ends, stuck_before, _) = self.status_rule()?;
        let rule = StatusRule {
            end_activities: &rule_ends,
            stuck_before,
        };
        let Some(summary) = self
            .db
            .fetch::<SummaryRow>(sql::instance_summary(&rule, id))?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let keys = self
            .db
            .fetch::<KeyRow>(sql::instance_keys(id))?
            .into_iter()
            .map(|r| BusinessKey::new(r.kind, r.value))
            .collect();
        let events = self
            .db
            .fetch::<EventRow>(sql::instance_events(id))?
            .into_iter()
            .map(event_from_row)
            .collect::<Result<_, _>>()?;
        let merges = self
            .db
            .fetch::<MergeRow>(sql::instance_merges(id))?
            .into_iter()
            .map(|r| MergeRecord {
                absorbed: r.absorbed,
                absorbed_label: r.absorbed_label,
                by_event: r.by_event,
            })
            .collect();
        Ok(Some(InstanceDetail {
            summary: summary.into(),
            keys,
            events,
            merges,
        }))
    }

    fn uncorrelated(&self, limit: u64) -> Result<Vec<Event>, CollectorError> {
        self.db
            .fetch::<EventRow>(sql::uncorrelated(limit))?
            .into_iter()
            .map(event_from_row)
            .collect()
    }

    fn dead_letter(&self, letters: &[DeadLetter]) -> Result<u64, CollectorError> {
        self.with_writer(|w, db| w.dead_letter(db, letters))
    }

    fn dead_letters(&self, limit: u64) -> Result<Vec<DeadLetter>, CollectorError> {
        Ok(self
            .db
            .fetch::<DeadLetterRow>(sql::dead_letters(limit))?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    fn overview(&self) -> Result<StoreOverview, CollectorError> {
        let (rule_ends, stuck_before, latest) = self.status_rule()?;
        let rule = StatusRule {
            end_activities: &rule_ends,
            stuck_before,
        };
        let counts: CountsRow = self.db.fetch_one(sql::counts())?;
        let mut by_status = [0u64; 3];
        for row in self.db.fetch::<StatusCountRow>(sql::status_counts(&rule))? {
            if let Some(i) = InstanceStatus::ALL
                .iter()
                .position(|s| s.as_str() == row.status)
            {
                by_status[i] = row.n;
            }
        }
        Ok(StoreOverview {
            events: counts.events,
            instances: by_status.iter().sum(),
            uncorrelated: counts.events.saturating_sub(counts.correlated),
            merges: counts.merges,
            by_status,
            latest_event: latest,
            dead_letters: counts.dead_letters,
        })
    }
}

impl ClickHouseStore {
    /// End activities, the stuck threshold and the data's "now" (newest last-event time).
    fn status_rule(&self) -> Result<(Vec<String>, i64, Option<i64>), CollectorError> {
        let row: LatestRow = self.db.fetch_one(sql::latest())?;
        let latest = (row.instances > 0).then_some(row.latest);
        Ok((
            self.rules.end_activities.clone(),
            latest.unwrap_or(0).saturating_sub(self.rules.stuck_after),
            latest,
        ))
    }
}

/// Directly-follows statistics, variants and throughput, each aggregated by ClickHouse.
fn process_stats(db: &Db, query: &StatsQuery) -> Result<ProcessStats, CollectorError> {
    let (filter, projection) = (&query.cases, query.activities.as_deref());
    let totals: TotalsRow = db.fetch_one(sql::stats_totals(filter, projection))?;
    if totals.cases == 0 {
        return Ok(ProcessStats::default());
    }
    let variants: Vec<VariantRow> = db.fetch(sql::stats_variants(filter, projection))?;
    let mut starts: HashMap<String, u64> = HashMap::new();
    let mut ends: HashMap<String, u64> = HashMap::new();
    for v in &variants {
        if let (Some(first), Some(last)) = (v.acts.first(), v.acts.last()) {
            *starts.entry(first.clone()).or_default() += v.cases;
            *ends.entry(last.clone()).or_default() += v.cases;
        }
    }
    let edges = db
        .fetch::<EdgeRow>(sql::stats_edges(filter, projection))?
        .into_iter()
        .map(|r| NamedEdge {
            from: r.source,
            to: r.target,
            count: r.n,
            duration: durations(r.duration),
        })
        .collect();
    let mut times: HashMap<(u8, String), DurationStats> = db
        .fetch::<TimesRow>(sql::stats_service_and_waiting(filter, projection))?
        .into_iter()
        .map(|r| ((r.kind, r.activity), durations(r.times)))
        .collect();
    let activities = db
        .fetch::<ActivityRow>(sql::stats_activities(filter, projection))?
        .into_iter()
        .map(|r| NamedActivity {
            service: times.remove(&(1, r.activity.clone())).unwrap_or_default(),
            waiting: times.remove(&(2, r.activity.clone())).unwrap_or_default(),
            name: r.activity,
            count: r.n,
            cases: r.cases,
            time_to_next: durations(r.time_to_next),
        })
        .collect();
    Ok(ProcessStats::from_named(NamedStats {
        cases: totals.cases,
        events: totals.events,
        activities,
        edges,
        start_activities: starts.into_iter().collect(),
        end_activities: ends.into_iter().collect(),
        variants: variants
            .into_iter()
            .map(|v| NamedVariant {
                activities: v.acts,
                count: v.cases,
                mean_throughput: v.mean,
            })
            .collect(),
        throughput: durations(totals.throughput),
        first_event: Some(totals.first_event),
        last_event: Some(totals.last_event),
    }))
}

fn event_from_row(r: EventRow) -> Result<Event, CollectorError> {
    let keys: Vec<(String, String)> = serde_json::from_str(&r.keys)
        .map_err(|e| CollectorError::Corrupt(format!("event keys: {e}")))?;
    let attributes = match serde_json::from_str(&r.attributes) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => {
            return Err(CollectorError::Corrupt(
                "event attributes are not a JSON object".into(),
            ))
        }
    };
    let optional = |s: String| (!s.is_empty()).then_some(s);
    Ok(Event {
        id: r.id,
        activity: r.activity,
        timestamp: r.ts,
        source: r.source,
        keys: keys
            .into_iter()
            .map(|(k, v)| BusinessKey::new(k, v))
            .collect(),
        trace_id: optional(r.trace_id),
        span_id: optional(r.span_id),
        attributes,
    })
}
