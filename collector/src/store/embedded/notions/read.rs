//! Reading a case notion's statistics: from the totals per kind when every instance and every
//! activity is asked for, otherwise from the steps of the keys of the selected instances.

use super::{notion_totals, KeyTrace};
use crate::store::embedded::state::{self, corrupt, Projected};
use crate::store::notion::one_kind;
use crate::store::state_rows::CASES;
use crate::store::{CaseFilter, NotionQuery};
use crate::CollectorError;
use miner::discovery::{ProcessAggregate, ProcessStats, ProcessStatsBuilder};
use miner::notion::ObjectCentric;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The statistics of `query`'s notion; `judged` are the store's conditions on `instances` for
/// the query's status.
pub fn stats(
    conn: &Connection,
    query: &NotionQuery,
    judged: (Vec<String>, Vec<SqlValue>),
) -> Result<ObjectCentric, CollectorError> {
    let names = state::activity_names_in(conn, "notion_activities")?;
    if query.cases == CaseFilter::default() && query.activities.is_none() {
        return from_totals(conn, query.kind.as_deref(), &names);
    }
    let mut scan = Scan::new(&names, query.activities.as_deref(), query.kind.is_none());
    if query.cases == CaseFilter::default() {
        scan_kind(conn, query.kind.as_deref(), false, |_, row| scan.add(row))?;
        return Ok(scan.finish(query.kind.as_deref()));
    }
    let mut selected = HashSet::new();
    state::select_ids(conn, &query.cases, judged, |instance| {
        selected.insert(instance);
        Ok(())
    })?;
    match query.kind.as_deref() {
        // Many of the instances selected: one pass over the kind's keys costs fewer lookups
        // than every selected instance's keys of all kinds.
        Some(kind) if selected.len() as i64 * SCAN_KIND_FROM >= cases_of(conn, kind)? => {
            scan_kind(conn, Some(kind), true, |instance, row| match instance {
                Some(instance) if selected.contains(&instance) => scan.add(row),
                _ => Ok(()),
            })?;
        }
        kind => {
            let mut stmt = conn.prepare_cached(
                "SELECT n.kind, n.steps, n.firsts, n.key FROM keys k INDEXED BY keys_by_instance
                 JOIN notion_traces n ON n.key = k.rowid
                 WHERE k.instance = ?1 AND (?2 IS NULL OR n.kind = ?2)",
            )?;
            // In id order: the index of keys by instance is then read front to back.
            let mut selected: Vec<i64> = selected.into_iter().collect();
            selected.sort_unstable();
            for instance in selected {
                let mut rows = stmt.query(params![instance, kind])?;
                while let Some(row) = rows.next()? {
                    scan.add(row)?;
                }
            }
        }
    }
    Ok(scan.finish(query.kind.as_deref()))
}

/// A kind's keys are read in one pass once the instances selected are at least a
/// `1 / SCAN_KIND_FROM` share of the kind's cases.
const SCAN_KIND_FROM: i64 = 4;

/// How many cases kind `kind` has, from its totals.
fn cases_of(conn: &Connection, kind: &str) -> Result<i64, CollectorError> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(n), 0) FROM notion_counts WHERE kind = ?1 AND measure = ?2",
        )?
        .query_row(params![kind, CASES], |r| r.get(0))?)
}

/// Calls `each` with every key of kind `kind` (of every kind when none): the instance that
/// holds it (when `instances` asks for it) and its row of `kind, steps, firsts, key`.
fn scan_kind(
    conn: &Connection,
    kind: Option<&str>,
    instances: bool,
    mut each: impl FnMut(Option<i64>, &rusqlite::Row<'_>) -> Result<(), CollectorError>,
) -> Result<(), CollectorError> {
    let (instance, join) = if instances {
        ("k.instance", "LEFT JOIN keys k ON k.rowid = n.key")
    } else {
        ("NULL", "")
    };
    // A condition apart for each case, so that one kind is read through its index.
    let condition = if kind.is_some() {
        "WHERE n.kind = ?1"
    } else {
        ""
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT n.kind, n.steps, n.firsts, n.key, {instance} FROM notion_traces n {join} {condition}"
    ))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(kind))?;
    while let Some(row) = rows.next()? {
        each(row.get(4)?, row)?;
    }
    Ok(())
}

/// The statistics from the totals: `kind`'s, or every kind's with their union.
fn from_totals(
    conn: &Connection,
    kind: Option<&str>,
    names: &HashMap<u32, String>,
) -> Result<ObjectCentric, CollectorError> {
    let to_stats = |kind: &str, totals: &ProcessAggregate| -> Result<_, CollectorError> {
        let (first, last) = span(conn, kind)?;
        Ok(totals.to_stats(|a| names.get(&a).cloned().unwrap_or_default(), first, last))
    };
    if let Some(kind) = kind {
        return Ok(one_kind(
            kind,
            to_stats(kind, &notion_totals(kind).read(conn)?)?,
        ));
    }
    let kinds: Vec<String> = conn
        .prepare_cached(
            "SELECT kind FROM notion_counts WHERE measure = ?1 GROUP BY kind HAVING SUM(n) > 0",
        )?
        .query_map([CASES], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut together = ProcessAggregate::default();
    let mut per_kind: Vec<(String, ProcessStats)> = Vec::new();
    for kind in kinds {
        let totals = notion_totals(&kind).read(conn)?;
        together.merge(&totals);
        let stats = to_stats(&kind, &totals)?;
        per_kind.push((kind, stats));
    }
    let first = per_kind.iter().filter_map(|(_, s)| s.first_event).min();
    let last = per_kind.iter().filter_map(|(_, s)| s.last_event).max();
    let mut union = together.to_stats(|a| names.get(&a).cloned().unwrap_or_default(), first, last);
    let mut stmt = conn.prepare_cached("SELECT activity, n FROM notion_events")?;
    let counts: HashMap<String, i64> = stmt
        .query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)?)))?
        .map(|row| row.map(|(a, n)| (names.get(&a).cloned().unwrap_or_default(), n)))
        .collect::<Result<_, _>>()?;
    for activity in &mut union.activities {
        activity.count = counts.get(&activity.name).copied().unwrap_or(0).max(0) as u64;
    }
    Ok(object_centric(per_kind, union))
}

/// The first and last time of kind `kind`'s steps, read from the indexes of its keys' times.
fn span(conn: &Connection, kind: &str) -> Result<(Option<i64>, Option<i64>), CollectorError> {
    Ok(conn.query_row(
        "SELECT (SELECT MIN(first_ts) FROM notion_traces WHERE kind = ?1),
                (SELECT MAX(last_ts) FROM notion_traces WHERE kind = ?1)",
        [kind],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// The kinds in the order every store gives them: most steps first, ties by name.
fn object_centric(mut per_kind: Vec<(String, ProcessStats)>, union: ProcessStats) -> ObjectCentric {
    per_kind.sort_by(|a, b| b.1.events.cmp(&a.1.events).then_with(|| a.0.cmp(&b.0)));
    let (kinds, per_kind) = per_kind.into_iter().unzip();
    ObjectCentric {
        kinds,
        per_kind,
        union,
    }
}

/// Statistics built from keys' steps, one case per key: per kind, and their union when
/// every kind is asked for.
struct Scan<'n> {
    names: &'n HashMap<u32, String>,
    kept: Option<HashSet<&'n str>>,
    per_kind: BTreeMap<String, Projected>,
    union: Option<Projected>,
    events: HashMap<u32, u64>,
}

impl<'n> Scan<'n> {
    fn new(names: &'n HashMap<u32, String>, keep: Option<&'n [String]>, union: bool) -> Self {
        Self {
            names,
            kept: keep.map(|k| k.iter().map(String::as_str).collect()),
            per_kind: BTreeMap::new(),
            union: union.then(Projected::default),
            events: HashMap::new(),
        }
    }

    /// Adds one key's steps from a row of `kind, steps, firsts, key`.
    fn add(&mut self, row: &rusqlite::Row<'_>) -> Result<(), CollectorError> {
        let kind = row.get_ref(0)?.as_str().map_err(corrupt)?;
        let steps = row.get_ref(1)?.as_blob().map_err(corrupt)?;
        let firsts = row.get_ref(2)?.as_blob().map_err(corrupt)?;
        let key = KeyTrace::decode(row.get(3)?, [steps, firsts, &[]])?;
        let shown: Vec<usize> = (0..key.trace.activities.len())
            .filter(|&i| {
                let name = self.names.get(&key.trace.activities[i]);
                self.kept
                    .as_ref()
                    .is_none_or(|k| name.is_some_and(|n| k.contains(n.as_str())))
            })
            .collect();
        if !self.per_kind.contains_key(kind) {
            self.per_kind.insert(kind.to_string(), Projected::default());
        }
        let built = self.per_kind.get_mut(kind).expect("inserted above");
        built.add(&key.trace, &shown, self.names);
        if let Some(union) = &mut self.union {
            union.add(&key.trace, &shown, self.names);
            for &i in shown.iter().filter(|&&i| key.firsts[i]) {
                *self.events.entry(key.trace.activities[i]).or_default() += 1;
            }
        }
        Ok(())
    }

    fn finish(self, kind: Option<&str>) -> ObjectCentric {
        let mut per_kind: Vec<(String, ProcessStats)> = self
            .per_kind
            .into_iter()
            .map(|(kind, built)| (kind, built.finish()))
            .collect();
        match (kind, self.union) {
            (Some(kind), _) => {
                let stats = per_kind
                    .pop()
                    .map_or_else(|| ProcessStatsBuilder::new().finish(), |(_, s)| s);
                one_kind(kind, stats)
            }
            (None, union) => {
                let mut union = union.unwrap_or_default().finish();
                let counts: HashMap<&str, u64> = self
                    .events
                    .iter()
                    .map(|(a, &n)| (self.names.get(a).map_or("", String::as_str), n))
                    .collect();
                for activity in &mut union.activities {
                    activity.count = counts.get(activity.name.as_str()).copied().unwrap_or(0);
                }
                object_centric(per_kind, union)
            }
        }
    }
}
