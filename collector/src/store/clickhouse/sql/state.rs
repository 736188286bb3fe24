//! The SQL of the process state (`state_*` tables, see [`crate::store::clickhouse::schema`]):
//! what a batch reads back to correct it, and what pages read instead of the events.
//!
//! Aggregates never take the name of a column they read (`argMax(events, version) AS events`):
//! ClickHouse 18.16 would substitute the alias inside the aggregate.

use super::{Sql, Value};
use crate::store::state_rows::END;
use crate::store::CaseIds;

/// The current row of each instance in `state_traces` (the highest version), as `id`,
/// `label`, `events`, `first_ts`, `last_ts`, `last_activity`; only instances still summarised
/// (with events). `active_since` keeps only instances whose last event is at or after it,
/// found first by a scan of one column.
pub fn current_summaries(active_since: Option<i64>) -> Sql {
    let mut s = Sql::new(
        "SELECT instance AS id, cur_label AS label, cur_events AS events, cur_first AS first_ts, \
                cur_last AS last_ts, cur_activity AS last_activity FROM \
         (SELECT instance, argMax(label, version) AS cur_label, argMax(events, version) AS cur_events, \
                 argMax(first_ts, version) AS cur_first, argMax(last_ts, version) AS cur_last, \
                 argMax(last_activity, version) AS cur_activity FROM state_traces",
    );
    if let Some(since) = active_since {
        s.push(" WHERE instance IN (SELECT instance FROM state_traces WHERE last_ts >= ")
            .bind(Value::Int(since))
            .push(")");
    }
    s.push(" GROUP BY instance) WHERE cur_events > 0");
    if let Some(since) = active_since {
        s.push(" AND cur_last >= ").bind(Value::Int(since));
    }
    s
}

/// The current steps of each summarised instance, as `case_id` and an array `evs` of tuples
/// (time, 0, activity name, lifecycle, span end, has end) in stored order: what the process
/// statistics of a filtered view are computed from. Activity names come from `ids`/`names`.
/// With a time range, only the instances whose span meets it are read, found first by a scan
/// of one column (sound on every version of a row: an instance's span only widens).
pub fn current_steps(ids: Vec<i64>, names: Vec<String>, from: Option<i64>, to: Option<i64>) -> Sql {
    let mut s = Sql::new(
        "SELECT instance AS case_id, arrayMap((a, t, l, e, h) -> (t, toUInt64(0), transform(toInt64(a), ",
    );
    s.bind(Value::Ints(ids))
        .push(", ")
        .bind(Value::Strs(names))
        .push(
            ", ''), l, e, h), cur_acts, cur_tss, cur_lcs, cur_ends, cur_has_end) AS evs FROM \
             (SELECT instance, argMax(events, version) AS cur_events, argMax(acts, version) AS cur_acts, \
                     argMax(tss, version) AS cur_tss, argMax(lcs, version) AS cur_lcs, \
                     argMax(ends, version) AS cur_ends, argMax(has_end, version) AS cur_has_end \
              FROM state_traces",
        );
    if from.is_some() || to.is_some() {
        s.push(" WHERE instance IN (SELECT instance FROM state_traces WHERE 1");
        if let Some(from) = from {
            s.push(" AND last_ts >= ").bind(Value::Int(from));
        }
        if let Some(to) = to {
            s.push(" AND first_ts < ").bind(Value::Int(to));
        }
        s.push(")");
    }
    s.push(" GROUP BY instance) WHERE cur_events > 0");
    s
}

/// The summarised instances whose current steps `cases` selects.
pub fn instances_with(cases: &CaseIds) -> Sql {
    let mut s = Sql::new(
        "SELECT instance FROM (SELECT instance, argMax(acts, version) AS cur_acts, \
                argMax(tss, version) AS cur_tss, argMax(events, version) AS cur_events \
                FROM state_traces GROUP BY instance) \
         WHERE cur_events > 0",
    );
    if cases.from.is_some() || cases.to.is_some() {
        s.push(" AND arrayExists(t -> 1");
        if let Some(from) = cases.from {
            s.push(" AND t >= ").bind(Value::Int(from));
        }
        if let Some(to) = cases.to {
            s.push(" AND t < ").bind(Value::Int(to));
        }
        s.push(", cur_tss)");
    }
    for (activities, test) in [
        (&cases.with, " AND has("),
        (&cases.without, " AND NOT has("),
    ] {
        for &a in activities {
            s.push(test)
                .push("cur_acts, toUInt32(")
                .bind(Value::Int(a.into()))
                .push("))");
        }
    }
    for &(a, b) in &cases.follows {
        s.push(" AND arrayExists((x, y) -> x = ")
            .bind(Value::Int(a.into()))
            .push(" AND y = ")
            .bind(Value::Int(b.into()))
            .push(", arrayPopBack(cur_acts), arrayPopFront(cur_acts))");
    }
    for (limit, test) in [(cases.min_duration, " >= "), (cases.max_duration, " <= ")] {
        if let Some(limit) = limit {
            s.push(" AND arrayReduce('max', cur_tss) - arrayReduce('min', cur_tss)")
                .push(test)
                .bind(Value::Int(limit));
        }
    }
    match cases.variant.as_deref() {
        None => {}
        // `[]` has no type on 18.16; no summarised instance is empty anyway.
        Some([]) => {
            s.push(" AND 0");
        }
        Some(sequence) => {
            s.push(" AND arrayMap(x -> toInt64(x), cur_acts) = ")
                .bind(Value::Ints(sequence.iter().map(|&a| a.into()).collect()));
        }
    }
    s
}

/// The rows of `state_traces` every column of which [`crate::store::clickhouse`] reads back.
const TRACE_COLUMNS: &str =
    "instance, version, label, events, first_ts, last_ts, last_activity, acts, tss, lcs, ends, has_end";

/// The current row of each of `ids` that has one (possibly saying the instance is gone).
pub fn traces_of(ids: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT {TRACE_COLUMNS} FROM state_traces WHERE instance IN (SELECT toInt64(arrayJoin("
    ));
    s.bind(Value::Ints(ids))
        .push("))) ORDER BY instance, version DESC LIMIT 1 BY instance");
    s
}

/// The steps stored under `members` (instances and those they absorbed), each event's first
/// copy, in stored order (time, then arrival).
pub fn steps_of(members: Vec<i64>) -> Sql {
    let mut s = Sql::new(
        "SELECT instance, activity, ts, lifecycle, end_ts, has_end FROM \
         (SELECT instance, activity, ts, seq, lifecycle, end_ts, has_end FROM events \
          WHERE instance IN (SELECT toInt64(arrayJoin(",
    );
    s.bind(Value::Ints(members))
        .push("))) ORDER BY ts, seq LIMIT 1 BY id) ORDER BY ts, seq");
    s
}

/// Every event's first copy, with the instance it belongs to now, of the summarised instances
/// whose id falls into slice `slice` of `slices`: what a rebuild reads, one slice at a time.
pub fn steps_in_slice(slice: u64, slices: u64) -> Sql {
    Sql::new(format!(
        "SELECT case_id AS instance, activity, ts, lifecycle, end_ts, has_end FROM \
         (SELECT case_id, activity, ts, seq, lifecycle, end_ts, has_end FROM ({}) \
          WHERE case_id != 0 AND intHash64(case_id) % {slices} = {slice} \
          ORDER BY case_id, ts, seq LIMIT 1 BY case_id, id) ORDER BY case_id, ts, seq",
        super::events_with_case("id, activity, ts, seq, lifecycle, end_ts, has_end", "")
    ))
}

/// The current label of every instance that has a business label.
pub fn business_labels() -> Sql {
    Sql::new(format!(
        "SELECT case_id, label FROM ({}) WHERE {}",
        super::labels_now(),
        super::business_label("label")
    ))
}

/// The running totals: each row summed, those that come to nothing left out.
pub fn totals() -> Sql {
    Sql::new(
        "SELECT measure, a, b, bucket, sn AS n, st AS total FROM \
         (SELECT measure, a, b, bucket, sum(n) AS sn, sum(total) AS st FROM state_totals \
          GROUP BY measure, a, b, bucket) WHERE sn != 0 OR st != 0",
    )
}

/// The sum of one measure of the totals.
pub fn total_of(measure: i64) -> Sql {
    let mut s = Sql::new("SELECT sum(n) FROM state_totals WHERE measure = ");
    s.bind(Value::Int(measure));
    s
}

/// The cases and throughput of each variant.
pub fn variants() -> Sql {
    Sql::new(
        "SELECT activities, sn AS n, st AS throughput FROM \
         (SELECT activities, sum(n) AS sn, sum(throughput) AS st FROM state_variants \
          GROUP BY activities) WHERE sn != 0",
    )
}

/// Every activity and its id.
pub fn activities() -> Sql {
    Sql::new("SELECT DISTINCT id, name FROM state_activities")
}

/// The newest batch the state is complete through, in layout `layout` (0: none).
pub fn done_through(layout: u32) -> Sql {
    let mut s = Sql::new("SELECT max(version) AS done FROM state_done WHERE layout = ");
    s.bind(Value::Int(layout.into()));
    s
}

/// The first and last event times of the summarised instances, and whether there is any
/// (`some`, 0 or 1). Exact without picking current rows, whatever the engine has merged: an
/// instance's steps only grow, and an absorbed instance's steps are part of its survivor's.
pub fn time_span() -> Sql {
    Sql::new(
        "SELECT toUInt8(count() > 0) AS some, min(first_ts) AS first, max(last_ts) AS last \
         FROM state_traces WHERE events > 0",
    )
}

/// Records the id of every stored event that has none (a crash came between the two inserts).
pub fn repair_event_ids() -> Sql {
    Sql::new(
        "INSERT INTO event_ids SELECT DISTINCT id FROM events \
         WHERE id NOT IN (SELECT id FROM event_ids)",
    )
}

/// How many distinct events are stored.
pub fn stored_events() -> Sql {
    Sql::new("SELECT uniqExact(id) FROM events")
}

/// How many cases end in one of `names`.
pub fn ending_in(names: Vec<String>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT sum(n) FROM state_totals WHERE measure = {END} AND a IN \
         (SELECT toInt64(id) FROM state_activities WHERE has("
    ));
    s.bind(Value::Strs(names)).push(", name))");
    s
}

/// How many cases end in each activity (`step`, `n`): the instances whose last step it is.
pub fn ending_by_step() -> Sql {
    Sql::new(format!(
        "SELECT name AS step, toUInt64(greatest(sum(n), 0)) AS n \
         FROM (SELECT a, n FROM state_totals WHERE measure = {END}) AS ends \
         ANY INNER JOIN (SELECT DISTINCT toInt64(id) AS a, name FROM state_activities) AS names \
         USING a \
         GROUP BY name"
    ))
}

/// The state's tables, emptied before a rebuild.
pub const TABLES: [&str; 5] = [
    "state_traces",
    "state_totals",
    "state_variants",
    "state_activities",
    "state_done",
];
