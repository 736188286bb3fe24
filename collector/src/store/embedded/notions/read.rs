//! Reading a case notion's statistics: from the totals per kind when every activity is asked
//! for and the filter selects most instances, otherwise from the steps of the keys of the
//! selected instances.

use super::held::Held;
use super::ids::IdSet;
use super::kept;
use super::pipeline::{self, Feed};
use super::scan::Scan;
use crate::store::embedded::state::{self, case_totals};
use crate::store::notion::PickActivities;
use crate::store::state_rows::CASES;
use crate::store::{CaseFilter, NotionQuery};
use crate::CollectorError;
use miner::notion::ObjectCentric;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection};
use std::collections::HashMap;

/// The statistics of `query`'s notion; `judged` are the store's conditions on `instances` for
/// the query's status.
pub fn stats(
    conn: &Connection,
    query: &NotionQuery,
    judged: (Vec<String>, Vec<SqlValue>),
) -> Result<ObjectCentric, CollectorError> {
    let names = state::activity_names_in(conn, "notion_activities")?;
    let kind = query.kind.as_deref();
    let selected = select(conn, &query.cases, judged)?;
    match query.activities.as_deref() {
        None => Ok(full(conn, &names, kind, selected, false)?.0),
        Some(keep) => {
            let keys = keys_of(conn, kind, selected)?;
            scan(conn, &names, kind, Some(keep), &keys)
        }
    }
}

/// A map's statistics of `query`'s notion with every activity, and with the activities `keep`
/// picks from those: the instances and their keys are selected once for both.
pub fn stats_shown(
    conn: &Connection,
    query: &NotionQuery,
    judged: (Vec<String>, Vec<SqlValue>),
    keep: &PickActivities<'_>,
) -> Result<(ObjectCentric, Option<ObjectCentric>), CollectorError> {
    let names = state::activity_names_in(conn, "notion_activities")?;
    let kind = query.kind.as_deref();
    let selected = select(conn, &query.cases, judged)?;
    let (full, again) = full(conn, &names, kind, selected, true)?;
    let shown = match keep(&full.union) {
        Some(kept) => Some(match again {
            Again::Read(keys) => scan(conn, &names, kind, Some(&kept), &keys)?,
            Again::Held(held) => {
                let union = kind.is_none();
                let [mut scan, other] = held.give(|| Scan::new(&names, Some(&kept), union))?;
                scan.merge(other);
                scan.finish(kind)
            }
        }),
        None => None,
    };
    Ok((full, shown))
}

/// The statistics with every activity of the keys of kind `kind` (of every kind when none)
/// held by the instances `selected` (by every instance when none), and how to have those keys
/// again most cheaply when `again` (the slider's statistics follow): from the totals (less the
/// keys of the instances left out when most are selected), else from the keys' steps, held
/// in memory when `again`.
fn full(
    conn: &Connection,
    names: &HashMap<u32, String>,
    kind: Option<&str>,
    selected: Option<IdSet>,
    again: bool,
) -> Result<(ObjectCentric, Again), CollectorError> {
    Ok(match selected {
        None => (
            kept::everything(conn, kind, names)?,
            Again::Read(Keys::Every),
        ),
        Some(selected) if most(conn, &selected, again)? => {
            let (full, left_out) = kept::less_unselected(conn, kind, names, &selected)?;
            (full, Again::Read(Keys::AllBut(left_out)))
        }
        selected => {
            let keys = keys_of(conn, kind, selected)?;
            let scan = Scan::new(names, None, kind.is_none());
            let (scan, held) =
                pipeline::run_holding(scan, again, |feed| read_keys(conn, kind, &keys, feed))?;
            let again = match held {
                Some(held) => Again::Held(held),
                None => Again::Read(keys),
            };
            (scan.finish(kind), again)
        }
    })
}

/// How a selection's keys are had again.
enum Again {
    /// Read again.
    Read(Keys),
    /// Held in memory, as they were read.
    Held(Held),
}

/// The instances `cases` selects; none when it selects every one.
fn select(
    conn: &Connection,
    cases: &CaseFilter,
    judged: (Vec<String>, Vec<SqlValue>),
) -> Result<Option<IdSet>, CollectorError> {
    if *cases == CaseFilter::default() {
        return Ok(None);
    }
    let mut selected = IdSet::default();
    state::select_ids(conn, cases, judged, |instance| {
        selected.insert(instance);
        Ok(())
    })?;
    Ok(Some(selected))
}

/// Whether `selected` holds so many of the instances that their statistics are cheapest read
/// as the totals less the others' keys: at least half of them; when the selected keys are
/// read `again` (for the slider), so many that the others are fewer than a
/// `1 / FEW_LEFT_OUT` share, since reading the selected keys once and holding them then costs
/// less than reading the others' keys and then the selected ones.
fn most(conn: &Connection, selected: &IdSet, again: bool) -> Result<bool, CollectorError> {
    let cases = case_totals(conn, &[])?.cases as i64;
    let selected = selected.len() as i64;
    Ok(match again {
        false => selected * 2 >= cases,
        true => (cases - selected) * FEW_LEFT_OUT < cases,
    })
}

/// The keys a selection holds, in the form cheapest to read them by.
pub(super) enum Keys {
    /// Every key.
    Every,
    /// Every key but these rows.
    AllBut(IdSet),
    /// The key rows in the set, found in one pass over the key rows from its first to its last.
    Rows(IdSet),
    /// The keys of these few instances, looked up instance by instance.
    OfInstances(IdSet),
}

/// The keys of kind `kind` (of every kind when none) held by the instances `selected` (by
/// every instance when none).
fn keys_of(
    conn: &Connection,
    kind: Option<&str>,
    selected: Option<IdSet>,
) -> Result<Keys, CollectorError> {
    let Some(selected) = selected else {
        return Ok(Keys::Every);
    };
    let cases = match kind {
        Some(kind) => cases_of(conn, kind)?,
        None => case_totals(conn, &[])?.cases as i64,
    };
    // Many of the instances selected: one pass over the keys costs fewer lookups than every
    // selected instance's keys.
    Ok(if selected.len() as i64 * SCAN_KIND_FROM >= cases {
        Keys::Rows(keys_held(conn, &selected)?)
    } else {
        Keys::OfInstances(selected)
    })
}

/// The statistics of the keys `keys` of kind `kind` (of every kind, with their union, when
/// none), with only the activities `keep` shown when given.
fn scan(
    conn: &Connection,
    names: &HashMap<u32, String>,
    kind: Option<&str>,
    keep: Option<&[String]>,
    keys: &Keys,
) -> Result<ObjectCentric, CollectorError> {
    let scan = Scan::new(names, keep, kind.is_none());
    let scan = pipeline::run(scan, |feed| read_keys(conn, kind, keys, feed))?;
    Ok(scan.finish(kind))
}

/// Feeds the steps of the keys `keys` of kind `kind` (of every kind when none) to `feed`.
pub(super) fn read_keys(
    conn: &Connection,
    kind: Option<&str>,
    keys: &Keys,
    feed: &mut Feed,
) -> Result<(), CollectorError> {
    let instances = match keys {
        Keys::Every => return scan_kind(conn, kind, None, |row| feed.add(row)),
        Keys::AllBut(left_out) => {
            return scan_kind(conn, kind, None, |row| {
                match left_out.contains(row.get(3)?) {
                    true => Ok(()),
                    false => feed.add(row),
                }
            })
        }
        Keys::Rows(held) => {
            let Some(span) = held.span() else {
                return Ok(());
            };
            return scan_kind(conn, kind, Some(span), |row| {
                match held.contains(row.get(3)?) {
                    true => feed.add(row),
                    false => Ok(()),
                }
            });
        }
        Keys::OfInstances(instances) => instances,
    };
    let mut stmt = conn.prepare_cached(
        "SELECT n.kind, n.steps, n.firsts, n.key FROM keys k INDEXED BY keys_by_instance
         JOIN notion_traces n ON n.key = k.rowid
         WHERE k.instance = ?1 AND (?2 IS NULL OR n.kind = ?2)",
    )?;
    // In id order: the index of keys by instance is then read front to back.
    for instance in instances.iter() {
        let mut rows = stmt.query(params![instance, kind])?;
        while let Some(row) = rows.next()? {
            feed.add(row)?;
        }
    }
    Ok(())
}

/// The keys are read in one pass once the instances selected are at least a
/// `1 / SCAN_KIND_FROM` share of the kind's cases (of the instances, for every kind). Below
/// half, looking each instance's keys up costs less: with the slider, a third of a million
/// events' orders took 197–209 ms that way against 242–252 ms in one pass over every key
/// (every kind), and 121–123 against 154–159 ms for the payments (medians of five by curl,
/// two runs).
const SCAN_KIND_FROM: i64 = 2;

/// With the slider on, a selection is read as the totals less the others' keys only when
/// those are fewer than a `1 / FEW_LEFT_OUT` share of the instances (see [`most`]).
const FEW_LEFT_OUT: i64 = 4;

/// How many cases kind `kind` has, from its totals.
fn cases_of(conn: &Connection, kind: &str) -> Result<i64, CollectorError> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(n), 0) FROM notion_counts WHERE kind = ?1 AND measure = ?2",
        )?
        .query_row(params![kind, CASES], |r| r.get(0))?)
}

/// The key rows held by the instances `selected`, read in one pass over the index of keys by
/// instance (rather than one lookup of the instance per key), from the first selected to the
/// last.
fn keys_held(conn: &Connection, selected: &IdSet) -> Result<IdSet, CollectorError> {
    let mut held = IdSet::default();
    let Some((first, last)) = selected.span() else {
        return Ok(held);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT instance, rowid FROM keys INDEXED BY keys_by_instance
         WHERE instance BETWEEN ?1 AND ?2",
    )?;
    let mut rows = stmt.query(params![first, last])?;
    while let Some(row) = rows.next()? {
        if selected.contains(row.get(0)?) {
            held.insert(row.get(1)?);
        }
    }
    Ok(held)
}

/// Calls `each` with the row of `kind, steps, firsts, key` of every key of kind `kind` (of
/// every kind when none); of every kind, only the rows from the first of `rows` to the last
/// when given.
fn scan_kind(
    conn: &Connection,
    kind: Option<&str>,
    rows: Option<(i64, i64)>,
    mut each: impl FnMut(&rusqlite::Row<'_>) -> Result<(), CollectorError>,
) -> Result<(), CollectorError> {
    // A condition apart for each case, so that one kind is read through its index, and every
    // kind's rows within a span through the table's own order.
    let (condition, params): (&str, Vec<SqlValue>) = match (kind, rows) {
        (Some(kind), _) => ("WHERE n.kind = ?1", vec![SqlValue::Text(kind.into())]),
        (None, Some((first, last))) => (
            "WHERE n.key BETWEEN ?1 AND ?2",
            vec![first.into(), last.into()],
        ),
        (None, None) => ("", Vec::new()),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT n.kind, n.steps, n.firsts, n.key FROM notion_traces n {condition}"
    ))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    while let Some(row) = rows.next()? {
        each(row)?;
    }
    Ok(())
}
