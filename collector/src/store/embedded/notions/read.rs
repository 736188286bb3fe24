//! Reading a case notion's statistics: from the totals per kind when every activity is asked
//! for and the filter selects most instances, otherwise from the steps of the keys of the
//! selected instances.

use super::kept::{self, object_centric};
use super::KeyTrace;
use crate::store::embedded::state::{self, case_totals, corrupt, Projected};
use crate::store::notion::one_kind;
use crate::store::state_rows::CASES;
use crate::store::{CaseFilter, NotionQuery};
use crate::CollectorError;
use foldhash::fast::RandomState;
use miner::discovery::ProcessStatsBuilder;
use miner::notion::ObjectCentric;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection};
use std::collections::{HashMap, HashSet};

/// The statistics of `query`'s notion; `judged` are the store's conditions on `instances` for
/// the query's status.
pub fn stats(
    conn: &Connection,
    query: &NotionQuery,
    judged: (Vec<String>, Vec<SqlValue>),
) -> Result<ObjectCentric, CollectorError> {
    let names = state::activity_names_in(conn, "notion_activities")?;
    if query.cases == CaseFilter::default() && query.activities.is_none() {
        return kept::everything(conn, query.kind.as_deref(), &names);
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
    if query.activities.is_none() && selected.len() as u64 * 2 >= case_totals(conn, &[])?.cases {
        return kept::less_unselected(conn, query.kind.as_deref(), &names, &selected);
    }
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

/// Statistics built from keys' steps, one case per key: per kind, and their union when
/// every kind is asked for.
struct Scan<'n> {
    names: &'n HashMap<u32, String>,
    /// Whether each stored activity id is shown, when the slider hides some.
    kept: Option<Vec<bool>>,
    per_kind: Vec<(String, Projected)>,
    /// The place of each kind in `per_kind`.
    kinds: HashMap<String, usize, RandomState>,
    union: bool,
    events: HashMap<u32, u64, RandomState>,
    /// The key being added and the positions of its shown steps.
    key: KeyTrace,
    shown: Vec<usize>,
}

impl<'n> Scan<'n> {
    fn new(names: &'n HashMap<u32, String>, keep: Option<&'n [String]>, union: bool) -> Self {
        let kept = keep.map(|keep| {
            let keep: HashSet<&str> = keep.iter().map(String::as_str).collect();
            let ids = names.keys().max().map_or(0, |&a| a as usize + 1);
            let mut kept = vec![false; ids];
            for (&a, name) in names {
                kept[a as usize] = keep.contains(name.as_str());
            }
            kept
        });
        Self {
            names,
            kept,
            per_kind: Vec::new(),
            kinds: HashMap::default(),
            union,
            events: HashMap::default(),
            key: KeyTrace::default(),
            shown: Vec::new(),
        }
    }

    /// Adds one key's steps from a row of `kind, steps, firsts, key`.
    fn add(&mut self, row: &rusqlite::Row<'_>) -> Result<(), CollectorError> {
        let kind = row.get_ref(0)?.as_str().map_err(corrupt)?;
        let steps = row.get_ref(1)?.as_blob().map_err(corrupt)?;
        let firsts = row.get_ref(2)?.as_blob().map_err(corrupt)?;
        let key = &mut self.key;
        key.decode_into(row.get(3)?, [steps, firsts, &[]])?;
        let activities = &key.trace.activities;
        self.shown.clear();
        self.shown.extend((0..activities.len()).filter(|&i| {
            self.kept
                .as_ref()
                .is_none_or(|k| k.get(activities[i] as usize).copied().unwrap_or(false))
        }));
        let at = match self.kinds.get(kind) {
            Some(&at) => at,
            None => {
                self.kinds.insert(kind.to_string(), self.per_kind.len());
                self.per_kind.push((kind.to_string(), Projected::default()));
                self.per_kind.len() - 1
            }
        };
        self.per_kind[at].1.add(&key.trace, &self.shown, self.names);
        if self.union {
            for &i in self.shown.iter().filter(|&&i| key.firsts[i]) {
                *self.events.entry(activities[i]).or_default() += 1;
            }
        }
        Ok(())
    }

    fn finish(self, kind: Option<&str>) -> ObjectCentric {
        if let Some(kind) = kind {
            let stats = self
                .per_kind
                .into_iter()
                .next()
                .map_or_else(|| ProcessStatsBuilder::new().finish(), |(_, s)| s.finish());
            return one_kind(kind, stats);
        }
        // Every kind's cases together: the kinds' statistics merged, rather than each key
        // added twice.
        let mut union = Projected::default();
        self.per_kind
            .iter()
            .for_each(|(_, built)| union.merge(built));
        let mut union = union.finish();
        let counts: HashMap<&str, u64> = self
            .events
            .iter()
            .map(|(a, &n)| (self.names.get(a).map_or("", String::as_str), n))
            .collect();
        for activity in &mut union.activities {
            activity.count = counts.get(activity.name.as_str()).copied().unwrap_or(0);
        }
        let per_kind = self
            .per_kind
            .into_iter()
            .map(|(kind, built)| (kind, built.finish()))
            .collect();
        object_centric(per_kind, union)
    }
}
