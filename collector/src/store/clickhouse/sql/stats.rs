//! The process statistics in one ClickHouse statement: the cases a filter selects as arrays
//! of their steps (from the per-instance rows of the process state), turned into tagged items
//! and grouped once.

use super::{carrying, in_status, state, with_attribute, Sql, StatusRule, Value};
use crate::store::{CaseFilter, InstanceStatus};

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
    narrow_by_steps(&mut selected, filter);
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
    let projected = projected(activities, selected);
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

/// How long a case of steps `evs` lasts: from its first step to its last.
const CASE_DURATION: &str =
    "arrayReduce('max', arrayMap(e -> e.1, evs)) - arrayReduce('min', arrayMap(e -> e.1, evs))";

/// The conditions of `filter` on a case's steps `evs`: its time range, variant, activities
/// present or absent, a directly-follows pair, its duration.
fn narrow_by_steps(selected: &mut Sql, filter: &CaseFilter) {
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
    for (a, b) in &filter.follows {
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
                .push(" AND ")
                .push(CASE_DURATION)
                .push(test)
                .bind(Value::Int(limit));
        }
    }
}

/// The cases of `selected` with their steps kept to `activities` (all when none).
fn projected(activities: Option<&[String]>, selected: Sql) -> Sql {
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
    projected
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
