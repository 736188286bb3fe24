//! The SQL the ClickHouse store issues, built as text with `?` placeholders and their values
//! in order. Kept apart from running it, so the same statements can be checked on another
//! ClickHouse engine (see the chdb test).
//!
//! There are no CTEs in ClickHouse 18.16, so shared parts are functions returning subqueries.

pub mod recall;
pub mod retention;
mod side_tables;
pub mod state;
mod status;

pub use side_tables::{
    all_links, dead_letters, has_rules_table, object_attributes, saved_model, saved_rules,
    stored_dead_letters,
};
pub use status::StatusRule;

use super::schema::{KEY_ROW, LABEL_ROW, MERGE_ROW, ROOT_ROW};
use crate::store::effects::TRACE_LABEL;
use crate::store::{CaseFilter, CaseIds, InstanceOrder, InstanceStatus};
use miner::log::BusinessKey;

/// A value bound to a `?` placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// An array of strings.
    Strs(Vec<String>),
    /// An array of integers.
    Ints(Vec<i64>),
}

/// A statement being built: text and the values of its placeholders, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sql {
    /// The text, with one `?` per value.
    pub text: String,
    /// The values.
    pub values: Vec<Value>,
}

impl Sql {
    /// A statement starting with `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            values: Vec::new(),
        }
    }

    /// Appends text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: Value) -> &mut Self {
        self.text.push('?');
        self.values.push(value);
        self
    }

    /// Appends another statement (as a subquery, say) with its values.
    pub fn append(&mut self, other: Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.values.extend(other.values);
        self
    }

    /// The statement wrapped as `(…)`.
    fn parenthesized(self) -> Sql {
        let mut s = Sql::new("(");
        s.append(self).push(")");
        s
    }
}

/// Each instance that was absorbed and the instance it belongs to now.
fn roots_now() -> String {
    format!("SELECT instance, argMax(other, version) AS root FROM correlation WHERE row_type = {ROOT_ROW} GROUP BY instance")
}

/// Each business key and the instance it belongs to now.
fn keys_now() -> String {
    format!(
        "SELECT kind, value, resolved AS instance FROM \
         (SELECT kind, value, if(root = 0, instance, root) AS resolved FROM \
          (SELECT key_kind AS kind, key_value AS value, argMax(instance, version) AS instance \
           FROM correlation WHERE row_type = {KEY_ROW} GROUP BY key_kind, key_value) AS graph \
          ANY LEFT JOIN ({}) AS roots USING instance)",
        roots_now()
    )
}

/// Each instance's current label.
fn labels_now() -> String {
    format!("SELECT instance AS case_id, argMax(label, version) AS label FROM correlation WHERE row_type = {LABEL_ROW} GROUP BY instance")
}

/// The condition on `label` that an instance is summarised (held together by a business key).
fn business_label(column: &str) -> String {
    format!(
        "{column} != '' AND substring({column}, 1, {}) != '{TRACE_LABEL}'",
        TRACE_LABEL.len()
    )
}

/// Events (deduplicated) with `case_id`, the instance they belong to now (0: no key).
/// Events with `case_id`, the instance they belong to now (0: no key). With `modifier` FINAL
/// redelivered copies are folded; without, the query folds them itself (cheaper).
fn events_with_case(columns: &str, modifier: &str) -> String {
    format!(
        "SELECT if(root = 0, instance, root) AS case_id, {columns} FROM events {modifier} ANY LEFT JOIN ({}) AS roots USING instance",
        roots_now()
    )
}

/// Summaries with their `status` column.
fn summaries_with_status(rule: &StatusRule<'_>, active_since: Option<i64>) -> Sql {
    let mut s = Sql::new("SELECT id, label, events, first_ts, last_ts, last_activity, multiIf(");
    rule.push_ended(&mut s);
    s.push(", 'completed', last_ts < ");
    rule.push_stuck_before(&mut s);
    s.push(", 'stuck', 'running') AS status FROM ")
        .append(state::current_summaries(active_since).parenthesized());
    s
}

/// Which instances an instance query selects.
#[derive(Debug, Clone, Copy, Default)]
pub struct InstanceFilter<'a> {
    /// `value` or `kind=value` of a key the instance carries.
    pub search: Option<&'a str>,
    /// Only this status (`completed`, `running`, `stuck`).
    pub status: Option<&'a str>,
    /// Only unfinished instances whose last step is this activity.
    pub at_step: Option<&'a str>,
    /// Only instances whose last event is at or after this time (read first by one column).
    pub active_since: Option<i64>,
    /// Only instances carrying this key.
    pub key: Option<&'a BusinessKey>,
    /// Only instances with an event whose attribute (the first) has this value.
    pub attribute: Option<(&'a str, &'a str)>,
    /// Only instances whose steps match: none, no such filter; `Some(None)`, the filter names
    /// an activity never seen, so no instance has it.
    pub steps: Option<Option<&'a CaseIds>>,
}

fn filtered_summaries(rule: &StatusRule<'_>, filter: &InstanceFilter<'_>) -> Sql {
    let mut s = Sql::new("SELECT * FROM ");
    s.append(summaries_with_status(rule, filter.active_since).parenthesized())
        .push(" WHERE 1");
    if let Some(search) = filter.search {
        s.push(" AND id IN ");
        match search.split_once('=') {
            Some((kind, value)) => {
                s.append(carrying(&BusinessKey::new(kind.trim(), value.trim())));
            }
            None => {
                s.push("(SELECT instance FROM (")
                    .push(&keys_now())
                    .push(") WHERE value = ")
                    .bind(Value::Str(search.into()))
                    .push(")");
            }
        }
    }
    if let Some(key) = filter.key {
        s.push(" AND id IN ").append(carrying(key));
    }
    if let Some((name, value)) = filter.attribute {
        s.push(" AND id IN ").append(with_attribute(name, value));
    }
    if let Some(status) = filter.status {
        s.push(" AND status = ").bind(Value::Str(status.into()));
    }
    if let Some(step) = filter.at_step {
        s.push(" AND status != 'completed' AND last_activity = ")
            .bind(Value::Str(step.into()));
    }
    match filter.steps {
        None => {}
        Some(Some(steps)) => {
            s.push(" AND id IN ")
                .append(state::instances_with(steps).parenthesized());
        }
        Some(None) => {
            s.push(" AND 0");
        }
    }
    s
}

/// The instances with an event whose attribute `name` is `value` (a string unescaped, any
/// other value as JSON writes it), as a parenthesized subquery.
fn with_attribute(name: &str, value: &str) -> Sql {
    let mut s = Sql::new("(SELECT case_id FROM (");
    s.push(&events_with_case("attributes", "FINAL"))
        .push(") WHERE visitParamExtractString(attributes, ")
        .bind(Value::Str(name.into()))
        .push(") = ")
        .bind(Value::Str(value.into()))
        .push(" OR visitParamExtractRaw(attributes, ")
        .bind(Value::Str(name.into()))
        .push(") = ")
        .bind(Value::Str(value.into()))
        .push(")");
    s
}

/// The instances in `status` by `rule` now, as a parenthesized subquery.
fn in_status(rule: &StatusRule<'_>, status: InstanceStatus) -> Sql {
    let mut s = Sql::new("(SELECT id FROM ");
    s.append(summaries_with_status(rule, None).parenthesized())
        .push(" WHERE status = ")
        .bind(Value::Str(status.as_str().into()))
        .push(")");
    s
}

/// The instances carrying `key` now, as a parenthesized subquery.
fn carrying(key: &BusinessKey) -> Sql {
    let mut s = Sql::new("(SELECT instance FROM (");
    s.push(&keys_now())
        .push(") WHERE kind = ")
        .bind(Value::Str(key.kind.clone()))
        .push(" AND value = ")
        .bind(Value::Str(key.value.clone()))
        .push(")");
    s
}

/// How many instances the filter selects.
pub fn instance_count(rule: &StatusRule<'_>, filter: &InstanceFilter<'_>) -> Sql {
    let mut s = Sql::new("SELECT count() FROM ");
    s.append(filtered_summaries(rule, filter).parenthesized());
    s
}

/// One page of the instances the filter selects, in `order`.
pub fn instance_page(
    rule: &StatusRule<'_>,
    filter: &InstanceFilter<'_>,
    order: InstanceOrder,
    offset: u64,
    limit: u64,
) -> Sql {
    let mut s =
        Sql::new("SELECT id, label, events, first_ts, last_ts, last_activity, status FROM ");
    s.append(filtered_summaries(rule, filter).parenthesized())
        .push(&format!(
            " ORDER BY {} LIMIT {offset}, {limit}",
            order.sql()
        ));
    s
}

/// The root rows around `id`: the one saying what `id` was absorbed into (if it was), and those
/// of the instances absorbed into it (its events and keys may carry their ids).
pub fn roots_around(id: i64) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT instance, root FROM ({}) WHERE instance = ",
        roots_now()
    ));
    s.bind(Value::Int(id))
        .push(" OR root = ")
        .bind(Value::Int(id));
    s
}

/// The event columns read back into [`miner::log::Event`]s.
pub const EVENT_COLUMNS: &str = "id, activity, ts, source, keys, trace_id, span_id, attributes";

/// The events stored under `members` (an instance and those it absorbed) in time order,
/// read through the primary key; the first stored copy of each.
pub fn instance_events(members: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT instance AS case_id, {EVENT_COLUMNS} FROM events WHERE instance IN (SELECT toInt64(arrayJoin("
    ));
    s.bind(Value::Ints(members))
        .push("))) ORDER BY ts, seq LIMIT 1 BY id");
    s
}

/// The events of the summarised instances among `ids`, each instance's in time order, with its
/// `case_id`; the first stored copy of each event.
pub fn events_of(ids: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT case_id, {EVENT_COLUMNS} FROM ({}) WHERE case_id IN (SELECT toInt64(arrayJoin(",
        events_with_case(&format!("{EVENT_COLUMNS}, seq"), "")
    ));
    s.bind(Value::Ints(ids)).push(&format!(
        "))) AND case_id IN (SELECT case_id FROM ({}) WHERE {}) \
         ORDER BY case_id, ts, seq LIMIT 1 BY case_id, id",
        labels_now(),
        business_label("label")
    ));
    s
}

/// The keys stored under `members`.
pub fn instance_keys(members: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT key_kind AS kind, key_value AS value FROM correlation \
         WHERE row_type = {KEY_ROW} AND instance IN (SELECT toInt64(arrayJoin("
    ));
    s.bind(Value::Ints(members))
        .push("))) GROUP BY kind, value ORDER BY kind, value");
    s
}

/// The merges into `members`, oldest first.
pub fn instance_merges(members: Vec<i64>) -> Sql {
    let mut s = Sql::new(format!(
        "SELECT absorbed, absorbed_label, by_event FROM \
         (SELECT other AS absorbed, any(label) AS absorbed_label, any(by_event) AS by_event, \
                 min(version) AS version \
          FROM correlation WHERE row_type = {MERGE_ROW} AND instance IN (SELECT toInt64(arrayJoin("
    ));
    s.bind(Value::Ints(members))
        .push("))) GROUP BY other) ORDER BY version, absorbed");
    s
}

/// Events outside every summarised instance, newest first.
pub fn uncorrelated(limit: u64) -> Sql {
    Sql::new(format!(
        "SELECT case_id, {EVENT_COLUMNS} FROM ({}) WHERE case_id NOT IN (SELECT case_id FROM ({}) WHERE {}) \
         ORDER BY seq DESC LIMIT {limit}",
        events_with_case(&format!("{EVENT_COLUMNS}, seq"), "FINAL"),
        labels_now(),
        business_label("label")
    ))
}

/// Store-wide counts of what the process state does not hold: merges, dead letters.
pub fn counts() -> Sql {
    Sql::new(format!(
        "SELECT (SELECT uniqExact(other) FROM correlation WHERE row_type = {MERGE_ROW}) AS merges, \
                (SELECT count() FROM dead_letters FINAL) AS dead_letters"
    ))
}

/// How many instances are running by `rule` at each step: unfinished, within the step's
/// limit. Only instances active since the longest limit are read.
pub fn running_by_step(rule: &StatusRule<'_>) -> Sql {
    let mut s = Sql::new("SELECT last_activity AS step, count() AS n FROM ");
    s.append(state::current_summaries(Some(rule.stuck_everywhere_before())).parenthesized())
        .push(" WHERE NOT ");
    rule.push_ended(&mut s);
    s.push(" AND last_ts >= ");
    rule.push_stuck_before(&mut s);
    s.push(" GROUP BY last_activity");
    s
}

/// Every business key.
pub fn all_keys() -> Sql {
    Sql::new(format!(
        "SELECT kind, value FROM ({}) ORDER BY kind, value",
        keys_now()
    ))
}

/// The kinds of the newest keys, most carried first (see [`crate::store::Store::key_kinds`]).
pub fn key_kinds() -> Sql {
    Sql::new(format!(
        "SELECT key_kind AS kind FROM (SELECT key_kind FROM correlation WHERE row_type = {KEY_ROW} \
         ORDER BY version DESC LIMIT {}) GROUP BY kind ORDER BY count() DESC, kind",
        crate::store::KEY_KINDS_SAMPLE
    ))
}

/// Which of `ids` are stored already.
pub fn stored_event_ids(ids: Vec<String>) -> Sql {
    let mut s = Sql::new("SELECT id FROM event_ids WHERE id IN (SELECT arrayJoin(");
    s.bind(Value::Strs(ids)).push("))");
    s
}

/// The labels of `ids` (missing when never labelled).
pub fn labels_of(ids: Vec<i64>) -> Sql {
    // Filtered before grouping, within the primary key (label rows have no key value): a
    // batch's lookup must not cost a pass over every label.
    let mut s = Sql::new(format!(
        "SELECT instance AS case_id, argMax(label, version) AS label FROM correlation \
         WHERE row_type = {LABEL_ROW} AND key_value = '' AND instance IN (SELECT toInt64(arrayJoin("
    ));
    s.bind(Value::Ints(ids)).push("))) GROUP BY instance");
    s
}

/// The highest instance id, version and event sequence number in use.
pub fn high_water_marks() -> Sql {
    Sql::new(
        "SELECT (SELECT max(greatest(instance, other)) FROM correlation) AS instance, \
                (SELECT max(instance) FROM events) AS event_instance, \
                (SELECT max(version) FROM correlation) AS version, \
                (SELECT max(seq) FROM events) AS seq, \
                (SELECT max(seq) FROM links) AS link_seq",
    )
}

// ----- process statistics, computed inside ClickHouse -----

/// Every activity id of the process state and its name, as two arrays.
pub type ActivityTable = (Vec<i64>, Vec<String>);

/// The cases the statistics cover, each as `case_id` and its steps in stored order (from the
/// per-instance rows of the process state, activities named by `names`), filtered by `filter`
/// and projected on `activities`, as arrays `acts`, `tss`, `lcs` (1 start, 2 complete), `ends`
/// and `spans` (1 when the step has an end).
/// `judged`: only the instances in a status, judged by a rule (the filter's status).
fn case_arrays(
    filter: &CaseFilter,
    activities: Option<&[String]>,
    names: &ActivityTable,
    judged: Option<(&StatusRule<'_>, InstanceStatus)>,
) -> Sql {
    let cases = state::current_steps(names.0.clone(), names.1.clone(), filter.from, filter.to)
        .parenthesized();
    let mut selected = Sql::new("SELECT case_id, evs FROM ");
    selected.append(cases).push(" WHERE 1");
    if filter.from.is_some() || filter.to.is_some() {
        selected.push(" AND arrayExists(e -> 1");
        if let Some(from) = filter.from {
            selected.push(" AND e.1 >= ").bind(Value::Int(from));
        }
        if let Some(to) = filter.to {
            selected.push(" AND e.1 < ").bind(Value::Int(to));
        }
        selected.push(", evs)");
    }
    if let Some(variant) = &filter.variant {
        if variant.is_empty() {
            selected.push(" AND 0");
        } else {
            selected
                .push(" AND arrayMap(e -> e.3, evs) = ")
                .bind(Value::Strs(variant.clone()));
        }
    }
    for (activities, test) in [
        (&filter.with, " AND has("),
        (&filter.without, " AND NOT has("),
    ] {
        for activity in activities {
            selected
                .push(test)
                .push("arrayMap(e -> e.3, evs), ")
                .bind(Value::Str(activity.clone()))
                .push(")");
        }
    }
    if let Some((a, b)) = &filter.follows {
        selected
            .push(" AND arrayExists((x, y) -> x = ")
            .bind(Value::Str(a.clone()))
            .push(" AND y = ")
            .bind(Value::Str(b.clone()))
            .push(
                ", arrayPopBack(arrayMap(e -> e.3, evs)), arrayPopFront(arrayMap(e -> e.3, evs)))",
            );
    }
    for (limit, test) in [(filter.min_duration, " >= "), (filter.max_duration, " <= ")] {
        if let Some(limit) = limit {
            selected
                .push(" AND arrayReduce('max', arrayMap(e -> e.1, evs)) - arrayReduce('min', arrayMap(e -> e.1, evs))")
                .push(test)
                .bind(Value::Int(limit));
        }
    }
    if let Some(key) = &filter.key {
        selected.push(" AND case_id IN ").append(carrying(key));
    }
    if let Some((rule, status)) = judged {
        selected
            .push(" AND case_id IN ")
            .append(in_status(rule, status));
    }
    if let Some((name, value)) = &filter.attribute {
        selected
            .push(" AND case_id IN ")
            .append(with_attribute(name, value));
    }
    let mut projected = Sql::new("SELECT case_id, ");
    match activities {
        None => projected.push("evs"),
        Some([]) => projected.push("arrayFilter(e -> 0, evs)"),
        Some(names) => projected
            .push("arrayFilter(e -> has(")
            .bind(Value::Strs(names.to_vec()))
            .push(", e.3), evs)"),
    };
    projected
        .push(" AS kept FROM ")
        .append(selected.parenthesized());
    let mut arrays = Sql::new(
        "SELECT case_id, arrayMap(e -> e.3, kept) AS acts, arrayMap(e -> e.1, kept) AS tss, \
         arrayMap(e -> e.4, kept) AS lcs, arrayMap(e -> e.5, kept) AS ends, \
         arrayMap(e -> e.6, kept) AS spans FROM ",
    );
    arrays
        .append(projected.parenthesized())
        .push(" WHERE notEmpty(kept)");
    arrays.parenthesized()
}

/// `DurationStats` of an Array(Int64) expression, as a tuple (count, total, mean, median, p95,
/// min, max) with percentiles interpolated linearly and rounded half away from zero, as the
/// miner computes them.
fn duration_stats(array: &str) -> String {
    let percentile = |q: &str| {
        format!(
            "if(length(s) = 0, toInt64(0), toInt64(arrayMap(v -> if(v >= 0, floor(v + 0.5), ceil(v - 0.5)), \
             [arrayMap(r -> toFloat64(s[toUInt64(floor(r)) + 1]) + toFloat64(s[toUInt64(ceil(r)) + 1] - s[toUInt64(floor(r)) + 1]) * (r - floor(r)), \
             [{q} * toFloat64(greatest(length(s), 1) - 1)])[1]])[1]))"
        )
    };
    format!(
        "arrayMap(s -> (toUInt64(length(s)), toInt64(arraySum(s)), \
         if(length(s) = 0, toInt64(0), toInt64(intDiv(arraySum(s), toInt64(greatest(length(s), 1))))), \
         {}, {}, if(length(s) = 0, toInt64(0), toInt64(s[1])), if(length(s) = 0, toInt64(0), toInt64(s[-1]))), \
         [arraySort(arrayMap(x -> toInt64(x), {array}))])[1]",
        percentile("0.5"),
        percentile("0.95")
    )
}

/// What a row of [`stats_items`] is about (`kind`, with its keys `k1`, `k2`).
pub mod item {
    /// A directly-follows edge `k1 → k2`; times are its durations.
    pub const EDGE: u8 = 1;
    /// An activity `k1`; `cases` counts its cases, times are its times to the next event.
    pub const ACTIVITY: u8 = 2;
    /// Service times of activity `k1` (lifecycle pairs and span lengths).
    pub const SERVICE: u8 = 3;
    /// Cases starting with activity `k1`.
    pub const START: u8 = 4;
    /// Cases ending with activity `k1`.
    pub const END: u8 = 5;
    /// A variant: `k1` is its activities joined by [`super::VARIANT_SEPARATOR`]; times are
    /// its cases' throughput times.
    pub const VARIANT: u8 = 6;
    /// Throughput times of all cases (one row).
    pub const THROUGHPUT: u8 = 7;
    /// First event times of the cases: the smallest is the first event (one row).
    pub const FIRST: u8 = 8;
    /// Last event times of the cases: the largest is the last event (one row).
    pub const LAST: u8 = 9;
    /// Waiting times before activity `k1`.
    pub const WAITING: u8 = 10;
}

/// Joins a variant's activity names in [`item::VARIANT`] rows.
pub const VARIANT_SEPARATOR: char = '\u{1f}';

/// Every aggregate of the process statistics in one statement: rows of (kind, k1, k2, n,
/// cases, times), see [`item`]. Each case is turned into tagged items by array functions that
/// are linear in its length, and the items are grouped once; only two kinds need more:
///
/// - lifecycle service times, in cases with a `start` (only when `lifecycles`: the store holds
///   `start` events at all): per case and activity, each `complete`
///   is matched to the earliest open `start` (the queue length before step k is the running
///   balance of starts and completes minus its lowest point so far, so no loop is needed);
/// - waiting times, in cases with spans: from the latest end of the earlier steps to each
///   start (quadratic in the steps of one traced case; other cases pass empty arrays, since
///   ClickHouse evaluates both branches of an `if`).
///
/// `judged` carries the filter's status with the rule that judges it.
///
/// Aliases read inside lambdas are also named outside them (terms that always hold):
/// ClickHouse 18.16 otherwise drops them and the columns they are made of.
pub fn stats_items(
    filter: &CaseFilter,
    activities: Option<&[String]>,
    names: &ActivityTable,
    lifecycles: bool,
    judged: Option<(&StatusRule<'_>, InstanceStatus)>,
) -> Sql {
    let sep = VARIANT_SEPARATOR;
    let mut s = Sql::new(format!(
        "SELECT kind, k1, k2, count() AS n, uniqExact(case_id) AS cases, {} AS times FROM (\
         SELECT case_id, x.1 AS kind, x.2 AS k1, x.3 AS k2, x.4 AS d, x.5 AS flag FROM \
          (SELECT case_id, arrayMap((t, e, sp) -> greatest(if(sp = 1, e, t), t), tss, ends, spans) AS fin, \
                  if(has(spans, 1), arrayPopFront(arrayEnumerate(acts)), emptyArrayUInt32()) AS traced, \
                  arrayJoin(arrayConcat(\
                    arrayMap((a, b, t0, t1) -> ({edge}, a, b, t1 - t0, toUInt8(1)), \
                             arrayPopBack(acts), arrayPopFront(acts), arrayPopBack(tss), arrayPopFront(tss)), \
                    arrayMap((a, t, next, more) -> ({activity}, a, '', next - t, more), acts, tss, \
                             arrayPushBack(arrayPopFront(tss), toInt64(0)), \
                             arrayPushBack(arrayMap(t -> toUInt8(1), arrayPopFront(tss)), toUInt8(0))), \
                    arrayMap((a, t, e, sp) -> ({service}, a, '', greatest(e - t, toInt64(0)), sp), acts, tss, ends, spans), \
                    arrayMap(i -> ({waiting}, acts[i], '', greatest(tss[i] - arrayReduce('max', arraySlice(fin, 1, i - 1)), toInt64(0)), toUInt8(1)), traced), \
                    [({start}, acts[1], '', toInt64(0), toUInt8(0)), ({end}, acts[-1], '', toInt64(0), toUInt8(0)), \
                     ({variant}, arrayStringConcat(acts, '{sep}'), '', tss[-1] - tss[1], toUInt8(1)), \
                     ({throughput}, '', '', tss[-1] - tss[1], toUInt8(1)), \
                     ({first}, '', '', tss[1], toUInt8(1)), ({last}, '', '', tss[-1], toUInt8(1))])) AS x FROM ",
        duration_stats("groupArrayIf(d, flag = 1)"),
        edge = typed(item::EDGE),
        activity = typed(item::ACTIVITY),
        service = typed(item::SERVICE),
        waiting = typed(item::WAITING),
        start = typed(item::START),
        end = typed(item::END),
        variant = typed(item::VARIANT),
        throughput = typed(item::THROUGHPUT),
        first = typed(item::FIRST),
        last = typed(item::LAST),
    ));
    s.append(case_arrays(filter, activities, names, judged)).push(
        " WHERE notEmpty(fin) AND length(traced) < length(acts) + 1 AND length(lcs) = length(acts))",
    );
    if lifecycles {
        s.push(&format!(
            " UNION ALL \
             SELECT toInt64(0) AS case_id, {service} AS kind, activity AS k1, '' AS k2, d, toUInt8(1) AS flag FROM \
              (SELECT activity, arraySort(groupArray((i, t, lc))) AS g, \
                      arrayMap(x -> x.2, g) AS gt, arrayMap(x -> x.3, g) AS gl, \
                      arrayPushFront(arrayCumSum(arrayMap(l -> toInt64(multiIf(l = 1, 1, l = 2, -1, 0)), gl)), toInt64(0)) AS balance, \
                      arrayMap(k -> balance[k] - arrayReduce('min', arraySlice(balance, 1, k)), arrayEnumerate(gl)) AS open_before, \
                      arrayPushFront(arrayCumSum(arrayMap(l -> toInt64(l = 1), gl)), toInt64(0)) AS starts_before, \
                      arrayFilter((t, l) -> l = 1, gt, gl) AS starts, \
                      arrayMap(k -> gt[k] - starts[starts_before[k] - open_before[k] + 1], \
                               arrayFilter(k -> gl[k] = 2 AND open_before[k] > 0, arrayEnumerate(gl))) AS durations \
               FROM (SELECT case_id, x.1 AS activity, x.2 AS t, x.3 AS lc, x.4 AS i FROM \
                     (SELECT case_id, arrayJoin(arrayMap((a, t, l, i) -> (a, t, l, i), acts, tss, lcs, arrayEnumerate(acts))) AS x FROM ",
            service = typed(item::SERVICE),
        ));
        s.append(case_arrays(filter, activities, names, judged)).push(
            " WHERE has(lcs, 1))) GROUP BY case_id, activity \
             HAVING length(gt) + length(balance) + length(open_before) + length(starts_before) + length(starts) > 0) \
             ARRAY JOIN durations AS d",
        );
    }
    s.push(") GROUP BY kind, k1, k2");
    s
}

/// Whether any stored event is a lifecycle `start` (else no service time comes from pairs).
pub fn has_lifecycle_starts() -> Sql {
    Sql::new("SELECT count() FROM events WHERE lifecycle = 1")
}

/// A kind constant as a UInt8 literal.
fn typed(kind: u8) -> String {
    format!("toUInt8({kind})")
}
