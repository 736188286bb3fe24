//! The process state of the ClickHouse store, kept current by the writer after each batch:
//! per instance its summary and steps (`state_traces`, newest version counting), and running
//! totals over all instances as changes the engine sums (`state_totals`, `state_variants`).
//!
//! Pages read the totals, a few hundred rows whatever the history, and the per-instance rows
//! for filtered views and lists; never the events. A batch's change is the same as in the
//! embedded store: each changed instance's old steps leave the totals and its new ones join.
//! ClickHouse has no transactions, so the last insert of a batch marks it done
//! (`state_done`); a store whose state is behind its correlation (a crash or a failed write in
//! between) has its state built again from the events when the writer loads.

mod rows;

pub use rows::{lifecycle_code, TraceRow};

use super::db::Db;
use super::sql::{state as state_sql, Sql};
use crate::correlate::InstanceId;
use crate::store::effects::{is_business_label, Effects};
use crate::store::standing::LastStep;
use crate::store::state_rows::{absorb, absorb_variant, total_rows, variant_rows, TotalRow, NONE};
use crate::store::trace_codec::Trace;
use crate::CollectorError;
use clickhouse::Row;
use miner::discovery::{ProcessAggregate, ProcessStats};
use miner::log::{Event, Lifecycle};
use rows::{ActivityRow, DoneRow, StepRow, TotalsRow, VariantRow};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};

/// Layout of the state: a store whose state was written in another layout (or never) has it
/// built again when the writer loads.
const LAYOUT: u32 = 1;
/// Measure code, beside the totals, of the events stored (in instances or not).
pub const STORED: i64 = 8;
/// Events a rebuild reads per slice of instances.
const EVENTS_PER_SLICE: u64 = 1_000_000;
/// Rows per insert while rebuilding.
const ROWS_PER_INSERT: usize = 50_000;

/// What one batch changed, as the state needs it.
pub struct BatchChange<'a, 'e> {
    /// The batch's version (that of its correlation rows).
    pub version: u64,
    /// What correlating it changed.
    pub effects: &'a Effects,
    /// Its events that were stored, each with the instance it was assigned.
    pub fresh: &'a [(&'e Event, Option<InstanceId>)],
    /// The label of each instance it touched, as it is after the batch.
    pub labels: &'a HashMap<InstanceId, String>,
    /// The instances absorbed into each instance (whose events are stored under their ids).
    pub absorbed: &'a HashMap<InstanceId, Vec<InstanceId>>,
}

/// The writer's side of the state: the activity ids in use.
pub struct StateKeeper {
    ids: HashMap<String, u32>,
    names: HashMap<u32, String>,
}

#[derive(Row, Deserialize)]
struct SpanRow {
    some: u8,
    first: i64,
    last: i64,
}

impl StateKeeper {
    /// Reads the activity ids; when the state is not complete through `version` (the newest
    /// batch of the correlation), builds it again from the events first.
    pub fn load(db: &Db, version: u64) -> Result<Self, CollectorError> {
        let done: u64 = db.fetch_one(state_sql::done_through(LAYOUT))?;
        let mut keeper = Self {
            ids: HashMap::new(),
            names: HashMap::new(),
        };
        if done < version {
            keeper.rebuild(db, version)?;
        } else {
            for row in db.fetch::<ActivityRow>(state_sql::activities())? {
                keeper.ids.insert(row.name.clone(), row.id);
                keeper.names.insert(row.id, row.name);
            }
        }
        Ok(keeper)
    }

    /// The id of activity `name`, given out (and queued in `new`) when first seen.
    fn id(&mut self, name: &str, new: &mut Vec<ActivityRow>) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(name.to_string(), id);
        self.names.insert(id, name.to_string());
        new.push(ActivityRow {
            id,
            name: name.to_string(),
        });
        id
    }

    fn name_of(&self, id: u32) -> String {
        self.names.get(&id).cloned().unwrap_or_default()
    }

    /// Brings the state up to date after the batch `change` describes (already stored).
    /// Returns the last step of each summarised instance it touched.
    pub fn refresh(
        &mut self,
        db: &Db,
        change: &BatchChange<'_, '_>,
    ) -> Result<Vec<LastStep>, CollectorError> {
        let effects = change.effects;
        let absorbed_before = effects.absorbed_stored();
        let absorbing = effects.absorbing();
        let roots = effects.touched_roots();
        let affected: BTreeSet<InstanceId> = roots.iter().copied().chain(absorbed_before).collect();
        let stored_before: Vec<InstanceId> = affected
            .iter()
            .copied()
            .filter(|i| !effects.created.contains(i))
            .collect();
        let old = stored_traces(db, stored_before)?;
        let summarised = |i: &InstanceId| {
            roots.contains(i) && change.labels.get(i).is_some_and(|l| is_business_label(l))
        };
        let to_load: Vec<InstanceId> = affected
            .iter()
            .copied()
            .filter(|i| {
                summarised(i)
                    && (absorbing.contains(i)
                        || (!effects.created.contains(i) && !old.contains_key(i)))
            })
            .collect();
        let mut new_activities = Vec::new();
        let mut loaded = self.load_traces(db, &to_load, change.absorbed, &mut new_activities)?;
        let added = added_events(change);
        let mut totals = ProcessAggregate::default();
        let mut traces = Vec::new();
        for instance in affected {
            let before = old.get(&instance);
            if let Some(trace) = before {
                totals.remove(trace.steps());
            }
            let after = if !summarised(&instance) {
                Trace::default()
            } else if let Some(trace) = loaded.remove(&instance) {
                trace
            } else {
                let mut trace = before.cloned().unwrap_or_default();
                for event in added.get(&instance).map_or(&[][..], Vec::as_slice) {
                    let activity = self.id(&event.activity, &mut new_activities);
                    let lifecycle = Lifecycle::parse(event.transition());
                    trace.insert_in_order(activity, event.timestamp, lifecycle, event.end());
                }
                trace
            };
            if let Some(&last) = after.activities.last() {
                totals.add(after.steps());
                let label = change.labels.get(&instance).cloned().unwrap_or_default();
                traces.push(TraceRow::of(
                    instance,
                    change.version,
                    label,
                    &after,
                    self.name_of(last),
                ));
            } else if before.is_some() {
                traces.push(TraceRow::gone(instance, change.version));
            }
        }
        let stored = change.fresh.len() as i64;
        self.write(db, &new_activities, &traces, &totals, stored)?;
        mark_done(db, change.version)?;
        Ok(traces
            .into_iter()
            .filter(|r| r.events > 0)
            .map(|r| LastStep {
                instance: r.instance,
                at: r.last_ts,
                activity: r.last_activity,
            })
            .collect())
    }

    /// Takes deleted instances (their current rows `gone`) and `events` deleted events out of
    /// the totals, as batch `version`.
    pub fn take_out(
        &self,
        db: &Db,
        version: u64,
        gone: &[TraceRow],
        events: i64,
    ) -> Result<(), CollectorError> {
        let mut totals = ProcessAggregate::default();
        for row in gone.iter().filter(|r| r.events > 0) {
            totals.remove(row.trace().steps());
        }
        self.write(db, &[], &[], &totals, -events)?;
        mark_done(db, version)
    }

    /// The steps of `instances` (with the instances each absorbed), read from their events.
    fn load_traces(
        &mut self,
        db: &Db,
        instances: &[InstanceId],
        absorbed: &HashMap<InstanceId, Vec<InstanceId>>,
        new_activities: &mut Vec<ActivityRow>,
    ) -> Result<HashMap<InstanceId, Trace>, CollectorError> {
        let mut traces = HashMap::new();
        if instances.is_empty() {
            return Ok(traces);
        }
        let mut root_of: HashMap<InstanceId, InstanceId> = HashMap::new();
        for &instance in instances {
            root_of.insert(instance, instance);
            for &member in absorbed.get(&instance).map_or(&[][..], Vec::as_slice) {
                root_of.insert(member, instance);
            }
        }
        let members: Vec<InstanceId> = root_of.keys().copied().collect();
        for row in db.fetch::<StepRow>(state_sql::steps_of(members))? {
            let Some(&root) = root_of.get(&row.instance) else {
                continue;
            };
            let activity = self.id(&row.activity, new_activities);
            traces.entry(root).or_insert_with(Trace::default).push(
                activity,
                row.ts,
                row.lifecycle(),
                row.end(),
            );
        }
        Ok(traces)
    }

    /// Writes new activities, instance rows and a change of the totals (with `stored` new
    /// events), activities first so that no row names an unknown one.
    fn write(
        &self,
        db: &Db,
        activities: &[ActivityRow],
        traces: &[TraceRow],
        change: &ProcessAggregate,
        stored: i64,
    ) -> Result<(), CollectorError> {
        db.insert("state_activities", activities)?;
        for chunk in traces.chunks(ROWS_PER_INSERT) {
            db.insert("state_traces", chunk)?;
        }
        let mut totals: Vec<TotalsRow> = total_rows(change)?
            .into_iter()
            .map(TotalsRow::from)
            .collect();
        if stored != 0 {
            totals.push(TotalsRow::from(TotalRow::Count {
                code: (STORED, NONE, NONE),
                n: stored,
            }));
        }
        db.insert("state_totals", &totals)?;
        let variants: Vec<VariantRow> = variant_rows(change)?
            .into_iter()
            .map(|(activities, n, throughput)| VariantRow {
                activities,
                n,
                throughput,
            })
            .collect();
        db.insert("state_variants", &variants)
    }

    /// Builds the whole state again from the events, complete through batch `version`; also
    /// records the ids of events a crash left without them, so redelivery skips those events.
    fn rebuild(&mut self, db: &Db, version: u64) -> Result<(), CollectorError> {
        let started = std::time::Instant::now();
        tracing::info!("clickhouse store: building the process state from the stored events");
        for table in state_sql::TABLES {
            db.execute_on_shards(table, |local| Sql::new(format!("TRUNCATE TABLE {local}")))?;
        }
        self.ids.clear();
        self.names.clear();
        db.execute(state_sql::repair_event_ids())?;
        let labels: HashMap<InstanceId, String> = db
            .fetch::<super::write::LabelRow>(state_sql::business_labels())?
            .into_iter()
            .map(|r| (r.case_id, r.label))
            .collect();
        let events: u64 = db.fetch_one(state_sql::stored_events())?;
        let slices = events.div_ceil(EVENTS_PER_SLICE).max(1);
        let mut new_activities = Vec::new();
        let mut totals = ProcessAggregate::default();
        let mut instances = 0usize;
        for slice in 0..slices {
            let mut traces: Vec<TraceRow> = Vec::new();
            let mut current: Option<(InstanceId, Trace)> = None;
            let rows = db.fetch::<StepRow>(state_sql::steps_in_slice(slice, slices))?;
            let mut finish = |this: &Self, (instance, trace): (InstanceId, Trace)| {
                if let (Some(label), Some(&last)) = (labels.get(&instance), trace.activities.last())
                {
                    totals.add(trace.steps());
                    traces.push(TraceRow::of(
                        instance,
                        version,
                        label.clone(),
                        &trace,
                        this.name_of(last),
                    ));
                }
            };
            for row in rows {
                if current.as_ref().is_some_and(|(i, _)| *i != row.instance) {
                    if let Some(done) = current.take() {
                        finish(self, done);
                    }
                }
                let activity = self.id(&row.activity, &mut new_activities);
                current
                    .get_or_insert_with(|| (row.instance, Trace::default()))
                    .1
                    .push(activity, row.ts, row.lifecycle(), row.end());
            }
            if let Some(last) = current.take() {
                finish(self, last);
            }
            instances += traces.len();
            db.insert("state_activities", &std::mem::take(&mut new_activities))?;
            for chunk in traces.chunks(ROWS_PER_INSERT) {
                db.insert("state_traces", chunk)?;
            }
        }
        self.write(db, &[], &[], &totals, events as i64)?;
        db.insert(
            "state_done",
            &[DoneRow {
                version,
                layout: LAYOUT,
            }],
        )?;
        tracing::info!(
            instances,
            seconds = started.elapsed().as_secs_f64(),
            "clickhouse store: process state built"
        );
        Ok(())
    }
}

/// The statistics of every summarised instance, from the totals: exact counts, totals and
/// means, sketched quantiles.
pub fn read_totals(db: &Db) -> Result<ProcessStats, CollectorError> {
    let mut totals = ProcessAggregate::default();
    for row in db.fetch::<TotalsRow>(state_sql::totals())? {
        if row.measure != STORED {
            absorb(&mut totals, row.into())?;
        }
    }
    for row in db.fetch::<VariantRow>(state_sql::variants())? {
        absorb_variant(&mut totals, &row.activities, row.n, row.throughput)?;
    }
    let names: HashMap<u32, String> = db
        .fetch::<ActivityRow>(state_sql::activities())?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let span = time_span(db)?;
    Ok(totals.to_stats(
        |a| names.get(&a).cloned().unwrap_or_default(),
        span.map(|s| s.0),
        span.map(|s| s.1),
    ))
}

/// The first and last event times of the summarised instances, if any.
pub fn time_span(db: &Db) -> Result<Option<(i64, i64)>, CollectorError> {
    let span: SpanRow = db.fetch_one(state_sql::time_span())?;
    Ok((span.some == 1).then_some((span.first, span.last)))
}

/// The newest event time of the summarised instances, if any.
pub fn latest(db: &Db) -> Result<Option<i64>, CollectorError> {
    Ok(time_span(db)?.map(|s| s.1))
}

/// Every activity id of the state with its name, as two arrays (for SQL).
pub fn activity_table(db: &Db) -> Result<(Vec<i64>, Vec<String>), CollectorError> {
    Ok(db
        .fetch::<ActivityRow>(state_sql::activities())?
        .into_iter()
        .map(|r| (i64::from(r.id), r.name))
        .unzip())
}

/// The sum of one measure of the totals (cases, events, stored events).
pub fn total_of(db: &Db, measure: i64) -> Result<i64, CollectorError> {
    db.fetch_one(state_sql::total_of(measure))
}

/// How many cases end in one of `activities`.
pub fn ending_in(db: &Db, activities: &[String]) -> Result<i64, CollectorError> {
    if activities.is_empty() {
        return Ok(0);
    }
    db.fetch_one(state_sql::ending_in(activities.to_vec()))
}

/// The current steps of `instances` stored before the batch (those with events).
fn stored_traces(
    db: &Db,
    instances: Vec<InstanceId>,
) -> Result<HashMap<InstanceId, Trace>, CollectorError> {
    if instances.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(db
        .fetch::<TraceRow>(state_sql::traces_of(instances))?
        .into_iter()
        .filter(|r| r.events > 0)
        .map(|r| (r.instance, r.trace()))
        .collect())
}

/// The batch's new events by the instance they ended in after its merges.
fn added_events<'e>(change: &BatchChange<'_, 'e>) -> HashMap<InstanceId, Vec<&'e Event>> {
    let mut added: HashMap<InstanceId, Vec<&Event>> = HashMap::new();
    for (event, instance) in change.fresh {
        if let Some(instance) = instance {
            added
                .entry(change.effects.root(*instance))
                .or_default()
                .push(event);
        }
    }
    added
}

/// Records that the state holds batch `version`, in the current layout.
fn mark_done(db: &Db, version: u64) -> Result<(), CollectorError> {
    db.insert(
        "state_done",
        &[DoneRow {
            version,
            layout: LAYOUT,
        }],
    )
}
