//! The process state of the embedded store, kept current in the same transaction as the
//! events: per instance its steps in compact form (`state_traces`), and running totals over
//! all instances (`state_counts`, `state_durations`, `state_buckets`, `state_variants`).
//!
//! Pages read the totals, a few hundred rows whatever the history, instead of every event;
//! filtered views read the per-instance rows. Whenever a batch changes an instance (new
//! events, in or out of order, a merge, a relation), its old steps are taken out of the totals
//! and its new ones, read back from its events, put in: the totals always equal a recompute.

mod narrowed;
#[cfg(test)]
mod tests;
mod totals;
mod with_attribute;

use super::schema::KEY_VALUE_HASH_IS;
use crate::correlate::InstanceId;
use crate::store::stable_hash::stable_hash;
use crate::store::standing::LastStep;
use crate::store::trace_codec::Trace;
use crate::store::{CaseFilter, CaseIds};
use crate::CollectorError;
use foldhash::fast::RandomState;
use miner::discovery::{ProcessAggregate, ProcessStats, ProcessStatsBuilder};
use miner::log::{BusinessKey, Lifecycle};
use miner::time::Micros;
use narrowed::Narrowed;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, OptionalExtension, Transaction};
use std::collections::{BTreeSet, HashMap, HashSet};
use with_attribute::attribute_condition;

pub use totals::{case_totals, instances_by_last_step, read_totals, TotalsTables};

/// Version of the state's layout: a store whose state was built by another version (or never)
/// has it built again from the events when opened.
const VERSION: i64 = 1;

/// The state's tables.
const TABLES: &str = "
    CREATE TABLE IF NOT EXISTS state_meta (version INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS state_activities (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS state_traces (instance INTEGER PRIMARY KEY, steps BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS state_counts (
        measure INTEGER NOT NULL, a INTEGER NOT NULL, b INTEGER NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (measure, a, b)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS state_durations (
        measure INTEGER NOT NULL, a INTEGER NOT NULL, b INTEGER NOT NULL,
        n INTEGER NOT NULL, total INTEGER NOT NULL,
        PRIMARY KEY (measure, a, b)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS state_buckets (
        measure INTEGER NOT NULL, a INTEGER NOT NULL, b INTEGER NOT NULL,
        bucket INTEGER NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (measure, a, b, bucket)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS state_variants (
        activities TEXT PRIMARY KEY, n INTEGER NOT NULL, throughput INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS instances_by_first ON instances(first_ts);
    CREATE INDEX IF NOT EXISTS instances_by_step ON instances(last_activity, last_ts);
";

/// Builds the whole state again from the events (a damaged state found while writing).
pub fn rebuild(conn: &mut Connection) -> Result<(), CollectorError> {
    conn.execute_batch("DELETE FROM state_meta;")?;
    ensure(conn)
}

/// Creates the state's tables and, when the state is missing or of another version (a store
/// written before it existed, or one whose state was dropped), builds it from the events.
pub fn ensure(conn: &mut Connection) -> Result<(), CollectorError> {
    conn.execute_batch(TABLES)?;
    let version: Option<i64> = conn
        .query_row("SELECT version FROM state_meta", [], |r| r.get(0))
        .optional()?;
    if version == Some(VERSION) {
        return totals::drop_emptied(conn);
    }
    let started = std::time::Instant::now();
    let has_instances: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM instances)", [], |r| r.get(0))?;
    if has_instances {
        tracing::info!("embedded store: building the process state from the stored events");
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for table in [
        "state_traces",
        "state_counts",
        "state_durations",
        "state_buckets",
        "state_variants",
        "state_meta",
    ] {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    let instances: Vec<InstanceId> = tx
        .prepare("SELECT id FROM instances ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    // Nothing added, nothing known: every instance's steps are read from its events, a slice
    // of instances at a time so that memory holds one slice's steps.
    let nothing = Changes {
        added: &HashMap::default(),
        created: &HashSet::default(),
        absorbing: &HashSet::default(),
    };
    for slice in instances.chunks(10_000) {
        refresh(
            &tx,
            slice.iter().copied(),
            &nothing,
            &mut StepCache::default(),
        )?;
    }
    tx.execute("INSERT INTO state_meta (version) VALUES (?1)", [VERSION])?;
    tx.commit()?;
    if has_instances {
        tracing::info!(
            instances = instances.len(),
            seconds = started.elapsed().as_secs_f64(),
            "embedded store: process state built"
        );
    }
    Ok(())
}

/// One step a batch added to an instance, in batch (arrival) order.
#[derive(Debug, Clone, Copy)]
pub struct NewStep<'e> {
    /// Its activity.
    pub activity: &'e str,
    /// When it happened.
    pub at: Micros,
    /// Its lifecycle transition.
    pub lifecycle: Lifecycle,
    /// When it ended, for a span.
    pub end: Option<Micros>,
}

/// What a batch changed, as the process state needs it.
pub struct Changes<'a, 'e> {
    /// The steps it added, per instance (as it is after the batch's merges).
    pub added: &'a HashMap<InstanceId, Vec<NewStep<'e>>, RandomState>,
    /// The instances it created.
    pub created: &'a HashSet<InstanceId, RandomState>,
    /// The instances that absorbed others: their steps are read back from their events.
    pub absorbing: &'a HashSet<InstanceId, RandomState>,
}

/// The steps of the instances in the writer's memory, so that a batch adding to a live
/// instance merges its new steps in without reading anything back; and the activity ids.
#[derive(Default)]
pub struct StepCache {
    ids: ActivityIds,
    /// Each live instance's steps in their stored (compact) form.
    traces: HashMap<InstanceId, Box<[u8]>, RandomState>,
}

impl StepCache {
    /// Drops the steps of an instance leaving memory.
    pub fn forget(&mut self, instance: InstanceId) {
        self.traces.remove(&instance);
    }
}

/// Brings the state of `instances` up to date after the batch in `tx` changed them
/// (`changes`): each one's old steps leave the totals, and, when it still has a summary row,
/// its steps as its events now stand join them. The new steps are merged into the old ones
/// in stored order (time, then arrival: a batch's events come after every stored one);
/// an instance that absorbed another, or whose steps are unknown, is read back from its
/// events. Returns the last step of each instance that has steps.
pub fn refresh(
    tx: &Transaction<'_>,
    instances: impl IntoIterator<Item = InstanceId>,
    changes: &Changes<'_, '_>,
    cache: &mut StepCache,
) -> Result<Vec<LastStep>, CollectorError> {
    let mut last_steps = Vec::new();
    let mut change = ProcessAggregate::default();
    let mut old = tx.prepare_cached("SELECT steps FROM state_traces WHERE instance = ?1")?;
    let mut forget = tx.prepare_cached("DELETE FROM state_traces WHERE instance = ?1")?;
    let mut summarised = tx.prepare_cached("SELECT 1 FROM instances WHERE id = ?1")?;
    let mut keep = tx.prepare_cached(
        "INSERT INTO state_traces (instance, steps) VALUES (?1, ?2)
         ON CONFLICT (instance) DO UPDATE SET steps = excluded.steps",
    )?;
    let instances: BTreeSet<InstanceId> = instances.into_iter().collect();
    for instance in instances {
        let created = changes.created.contains(&instance);
        // An instance the batch created has no steps stored yet.
        let before: Option<Trace> = match cache.traces.remove(&instance) {
            Some(bytes) => Some(Trace::decode(&bytes)?),
            None if created => None,
            None => match old
                .query_row([instance], |r| r.get::<_, Vec<u8>>(0))
                .optional()?
            {
                Some(bytes) => Some(Trace::decode(&bytes)?),
                None => None,
            },
        };
        if let Some(trace) = &before {
            change.remove(trace.steps());
        }
        let added = changes.added.get(&instance).map_or(&[][..], Vec::as_slice);
        let trace = if !summarised.exists([instance])? {
            Trace::default()
        } else if changes.absorbing.contains(&instance) || (before.is_none() && !created) {
            load_trace(tx, instance, &mut cache.ids)?
        } else {
            let mut trace = before.clone().unwrap_or_default();
            for step in added {
                let activity = cache.ids.id(tx, step.activity)?;
                trace.insert_in_order(activity, step.at, step.lifecycle, step.end);
            }
            trace
        };
        if let (Some(&activity), Some(&Some(at))) =
            (trace.activities.last(), trace.timestamps.last())
        {
            let bytes = trace.encode();
            if before.as_ref() != Some(&trace) {
                keep.execute(rusqlite::params![instance, bytes])?;
            }
            change.add(trace.steps());
            last_steps.push(LastStep {
                instance,
                at,
                activity: cache.ids.name_of(activity).to_string(),
            });
            cache.traces.insert(instance, bytes.into_boxed_slice());
        } else if before.is_some() {
            forget.execute([instance])?;
        }
    }
    totals::apply(tx, &change)?;
    Ok(last_steps)
}

/// One instance's steps, read from its events in stored order (time, then arrival).
fn load_trace(
    tx: &Transaction<'_>,
    instance: InstanceId,
    ids: &mut ActivityIds,
) -> Result<Trace, CollectorError> {
    let mut stmt = tx.prepare_cached(
        "SELECT activity, ts, lifecycle, end_ts FROM events WHERE instance = ?1 ORDER BY ts, seq",
    )?;
    let mut rows = stmt.query([instance])?;
    let mut trace = Trace::default();
    while let Some(row) = rows.next()? {
        let activity = ids.id(tx, row.get_ref(0)?.as_str().map_err(corrupt)?)?;
        let lifecycle = Lifecycle::parse(row.get_ref(2)?.as_str_or_null().map_err(corrupt)?);
        trace.push(activity, row.get(1)?, lifecycle, row.get(3)?);
    }
    Ok(trace)
}

/// A stored value of the wrong type, as the error it is.
pub(super) fn corrupt(e: rusqlite::types::FromSqlError) -> CollectorError {
    CollectorError::Corrupt(e.to_string())
}

/// Activity names as the state's ids, given out as names first appear.
#[derive(Default)]
struct ActivityIds {
    known: HashMap<String, u32, RandomState>,
    names: HashMap<u32, String, RandomState>,
}

impl ActivityIds {
    fn id(&mut self, tx: &Transaction<'_>, name: &str) -> Result<u32, CollectorError> {
        if let Some(&id) = self.known.get(name) {
            return Ok(id);
        }
        let id = activity_id_in(tx, "state_activities", name)?;
        self.known.insert(name.to_string(), id);
        self.names.insert(id, name.to_string());
        Ok(id)
    }

    /// The name of an id given out by [`ActivityIds::id`].
    fn name_of(&self, id: u32) -> &str {
        self.names.get(&id).map_or("", String::as_str)
    }
}

/// Every activity name by its state id.
fn activity_names(conn: &Connection) -> Result<HashMap<u32, String>, CollectorError> {
    activity_names_in(conn, "state_activities")
}

/// Every activity name by its id in `table` (`id`, `name`).
pub(super) fn activity_names_in(
    conn: &Connection,
    table: &str,
) -> Result<HashMap<u32, String>, CollectorError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT id, name FROM {table}"))?;
    let names = stmt
        .query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}

/// The id of activity `name` in `table` (`id`, `name`), given out when it first appears.
pub(super) fn activity_id_in(
    tx: &Transaction<'_>,
    table: &str,
    name: &str,
) -> Result<u32, CollectorError> {
    tx.prepare_cached(&format!("INSERT OR IGNORE INTO {table} (name) VALUES (?1)"))?
        .execute([name])?;
    let id: i64 = tx
        .prepare_cached(&format!("SELECT id FROM {table} WHERE name = ?1"))?
        .query_row([name], |r| r.get(0))?;
    u32::try_from(id).map_err(|_| CollectorError::Corrupt(format!("activity id {id} out of range")))
}

/// The step conditions of `filter` on the state's activity ids; none when it asks for an
/// activity never seen.
pub fn case_ids(conn: &Connection, filter: &CaseFilter) -> Result<Option<CaseIds>, CollectorError> {
    let names = activity_names(conn)?;
    let by_name: HashMap<&str, u32> = names.iter().map(|(&id, n)| (n.as_str(), id)).collect();
    Ok(filter.resolve(|name| by_name.get(name).copied()))
}

/// The SQL condition on `instances` (aliased `alias`) selecting those carrying `key`, with its
/// parameters: read through the key index.
pub fn key_condition(alias: &str, key: &BusinessKey) -> (String, Vec<SqlValue>) {
    (
        format!(
            "{alias}id IN (SELECT instance FROM keys WHERE {KEY_VALUE_HASH_IS} AND kind = ? AND value = ?)"
        ),
        vec![
            SqlValue::Integer(stable_hash(&key.value)),
            SqlValue::Text(key.kind.clone()),
            SqlValue::Text(key.value.clone()),
        ],
    )
}

/// The SQL conditions on `instances` (aliased `alias`) narrowing `filter` by the indexed
/// columns (first/last times, key) and by the events' attributes, before the steps are read.
/// They read the case notions' tables too: the connection has them attached.
pub fn narrowing_conditions(alias: &str, filter: &CaseFilter) -> (Vec<String>, Vec<SqlValue>) {
    let mut conditions = Vec::new();
    let mut params = Vec::new();
    if let Some(from) = filter.from {
        conditions.push(format!("{alias}last_ts >= ?"));
        params.push(SqlValue::Integer(from));
    }
    if let Some(to) = filter.to {
        conditions.push(format!("{alias}first_ts < ?"));
        params.push(SqlValue::Integer(to));
    }
    if let Some(d) = filter.min_duration {
        conditions.push(format!("{alias}last_ts - {alias}first_ts >= ?"));
        params.push(SqlValue::Integer(d));
    }
    if let Some(d) = filter.max_duration {
        conditions.push(format!("{alias}last_ts - {alias}first_ts <= ?"));
        params.push(SqlValue::Integer(d));
    }
    if let Some(key) = &filter.key {
        let (condition, key_params) = key_condition(alias, key);
        conditions.push(condition);
        params.extend(key_params);
    }
    if let Some((name, value)) = &filter.attribute {
        let (condition, attribute_params) = attribute_condition(alias, name, value);
        conditions.push(condition);
        params.extend(attribute_params);
    }
    (conditions, params)
}

/// The statistics of the instances `filter` selects, with only the activities in `keep`
/// (when given; hidden steps are bridged), from the per-instance rows: exact. `judged` are
/// the store's conditions on `instances` for the filter's status, with their parameters.
pub fn scan(
    conn: &Connection,
    filter: &CaseFilter,
    keep: Option<&[String]>,
    judged: (Vec<String>, Vec<SqlValue>),
) -> Result<ProcessStats, CollectorError> {
    let names = activity_names(conn)?;
    let by_name: HashMap<&str, u32> = names.iter().map(|(&id, n)| (n.as_str(), id)).collect();
    let kept: Option<HashSet<u32>> = keep.map(|k| {
        k.iter()
            .filter_map(|n| by_name.get(n.as_str()).copied())
            .collect()
    });
    let mut stats = Projected::default();
    select(conn, filter, judged, |_, trace| {
        let shown: Vec<usize> = (0..trace.activities.len())
            .filter(|&i| {
                kept.as_ref()
                    .is_none_or(|k| k.contains(&trace.activities[i]))
            })
            .collect();
        stats.add(trace, &shown, &names);
        Ok(())
    })?;
    Ok(stats.finish())
}

/// Statistics being built from stored steps with only some of them shown (hidden steps are
/// bridged), and the builder's ids of the stored activity ids.
#[derive(Default)]
pub struct Projected {
    builder: ProcessStatsBuilder,
    ids: HashMap<u32, u32, RandomState>,
    /// The shown steps of the case being added, kept to spare an allocation per case.
    steps: Trace,
}

impl Projected {
    /// Adds one case: the steps of `trace` at the positions `shown`; `names` names the
    /// stored activity ids.
    pub fn add(&mut self, trace: &Trace, shown: &[usize], names: &HashMap<u32, String>) {
        let steps = &mut self.steps;
        steps.activities.clear();
        steps.timestamps.clear();
        steps.lifecycles.clear();
        steps.ends.clear();
        for &i in shown {
            let a = trace.activities[i];
            let builder = &mut self.builder;
            let id = *self
                .ids
                .entry(a)
                .or_insert_with(|| builder.intern(names.get(&a).map_or("", String::as_str)));
            steps.activities.push(id);
            steps.timestamps.push(trace.timestamps[i]);
            steps.lifecycles.push(trace.lifecycles[i]);
            steps.ends.push(trace.ends[i]);
        }
        self.builder.add_steps(self.steps.steps());
    }

    /// Adds every case `other` holds.
    pub fn merge(&mut self, other: &Projected) {
        self.builder.merge(&other.builder);
    }

    /// The statistics of the cases added.
    pub fn finish(self) -> ProcessStats {
        self.builder.finish()
    }
}

/// Calls `each` with every instance `filter` selects: through their steps only when the filter
/// asks about activities, or about a time range with both ends that an instance spans (it may
/// hold no event inside); otherwise the first and last times decide. `judged` are the store's
/// conditions on `instances` for the filter's status, with their parameters.
pub fn select_ids(
    conn: &Connection,
    filter: &CaseFilter,
    judged: (Vec<String>, Vec<SqlValue>),
    mut each: impl FnMut(InstanceId) -> Result<(), CollectorError>,
) -> Result<(), CollectorError> {
    if filter.asks_activities() {
        return select(conn, filter, judged, |instance, _| each(instance));
    }
    let mut narrowed = Narrowed::of(conn, "", filter, judged)?;
    let condition = if narrowed.conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", narrowed.conditions.join(" AND "))
    };
    // An instance spanning a range with both ends (its first event before the range, its last
    // at or after its end) may hold no event inside: its steps decide. The parameters of that
    // column come before the condition's.
    let spans = match filter.from.zip(filter.to) {
        Some((from, to)) => {
            let range = [SqlValue::Integer(from), SqlValue::Integer(to)];
            narrowed.params.splice(0..0, range);
            "first_ts < ? AND last_ts >= ?"
        }
        None => "0",
    };
    let range = CaseIds {
        from: filter.from,
        to: filter.to,
        ..CaseIds::default()
    };
    let mut steps = conn.prepare_cached("SELECT steps FROM state_traces WHERE instance = ?1")?;
    let mut stmt =
        conn.prepare_cached(&format!("SELECT id, {spans} FROM instances {condition}"))?;
    let mut rows = stmt.query(params_from_iter(narrowed.params.iter()))?;
    while let Some(row) = rows.next()? {
        let instance = row.get(0)?;
        if !narrowed.keeps(instance) {
            continue;
        }
        if row.get(1)? && !event_within(&mut steps, instance, &range)? {
            continue;
        }
        each(instance)?;
    }
    Ok(())
}

/// Whether instance `instance`'s steps, read by `steps`, hold an event within `range`.
fn event_within(
    steps: &mut rusqlite::CachedStatement<'_>,
    instance: InstanceId,
    range: &CaseIds,
) -> Result<bool, CollectorError> {
    let trace = steps
        .query_row([instance], |r| r.get::<_, Vec<u8>>(0))
        .optional()?;
    Ok(match trace {
        Some(trace) => {
            let trace = Trace::decode(&trace)?;
            range.matches(&trace.activities, &trace.timestamps)
        }
        None => false,
    })
}

/// Calls `each` with every instance `filter` selects and its steps (activity ids of the
/// state). `judged` are the store's conditions on `instances` for the filter's status, with
/// their parameters.
pub fn select(
    conn: &Connection,
    filter: &CaseFilter,
    judged: (Vec<String>, Vec<SqlValue>),
    mut each: impl FnMut(InstanceId, &Trace) -> Result<(), CollectorError>,
) -> Result<(), CollectorError> {
    let Some(selected) = case_ids(conn, filter)? else {
        return Ok(());
    };
    // The indexed columns narrow first (a start reads the instances active since it through
    // the index of last times); the steps then decide.
    let narrowed = Narrowed::of(conn, "i.", filter, judged)?;
    let sql = if narrowed.conditions.is_empty() {
        "SELECT instance, steps FROM state_traces".to_string()
    } else {
        let index = if filter.from.is_some() {
            "INDEXED BY instances_by_last"
        } else if filter.to.is_some() {
            "INDEXED BY instances_by_first"
        } else {
            ""
        };
        format!(
            "SELECT t.instance, t.steps FROM instances i {index} JOIN state_traces t ON t.instance = i.id WHERE {}",
            narrowed.conditions.join(" AND ")
        )
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(narrowed.params.iter()))?;
    while let Some(row) = rows.next()? {
        let instance = row.get(0)?;
        if !narrowed.keeps(instance) {
            continue;
        }
        let trace = Trace::decode(row.get_ref(1)?.as_blob().map_err(corrupt)?)?;
        if selected.matches(&trace.activities, &trace.timestamps) {
            each(instance, &trace)?;
        }
    }
    Ok(())
}
