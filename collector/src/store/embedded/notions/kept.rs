//! Answers from the running totals per kind: of every key as kept, or of every key less those
//! of the instances a filter leaves out, which reads far fewer keys once a filter selects most
//! instances (`status=completed` over a long history).

use super::ids::IdSet;
use super::pipeline::{self, KeySink};
use super::read::{read_keys, Keys};
use super::{notion_totals, KeyTrace};
use crate::store::notion::one_kind;
use crate::store::state_rows::CASES;
use crate::CollectorError;
use miner::discovery::{ProcessAggregate, ProcessStats, ProcessStatsBuilder};
use miner::notion::ObjectCentric;
use rusqlite::Connection;
use std::collections::HashMap;

/// The statistics of every key of `kind` (of every kind, with their union, when none).
pub fn everything(
    conn: &Connection,
    kind: Option<&str>,
    names: &HashMap<u32, String>,
) -> Result<ObjectCentric, CollectorError> {
    KindTotals::read(conn, kind)?.finish(kind, names, |kind| span(conn, kind))
}

/// The statistics of the keys of `kind` held by the instances `selected`: the totals less
/// the keys of every other instance, whose rows come with them.
pub fn less_unselected(
    conn: &Connection,
    kind: Option<&str>,
    names: &HashMap<u32, String>,
    selected: &IdSet,
) -> Result<(ObjectCentric, IdSet), CollectorError> {
    let totals = KindTotals::read(conn, kind)?;
    let mut unselected = IdSet::default();
    let mut instances = conn.prepare_cached("SELECT id FROM instances")?;
    let mut rows = instances.query([])?;
    while let Some(row) = rows.next()? {
        let instance = row.get(0)?;
        if !selected.contains(instance) {
            unselected.insert(instance);
        }
    }
    let unselected = Keys::OfInstances(unselected);
    let totals = pipeline::run(totals, |feed| read_keys(conn, kind, &unselected, feed))?;
    let left_out = &totals.left_out;
    let span = |kind: &str| span_without(conn, kind, left_out);
    let stats = totals.finish(kind, names, span)?;
    Ok((stats, totals.left_out))
}

/// The totals of each kind asked for, and for the union the events counted per activity
/// (an event carrying several keys once).
struct KindTotals {
    per_kind: Vec<(String, ProcessAggregate)>,
    events: HashMap<u32, i64>,
    /// The rows of the keys taken out.
    left_out: IdSet,
}

impl KindTotals {
    /// The stored totals of `kind`, or of every kind with cases.
    fn read(conn: &Connection, kind: Option<&str>) -> Result<Self, CollectorError> {
        let kinds: Vec<String> = match kind {
            Some(kind) => vec![kind.to_string()],
            None => conn
                .prepare_cached(
                    "SELECT kind FROM notion_counts WHERE measure = ?1
                     GROUP BY kind HAVING SUM(n) > 0",
                )?
                .query_map([CASES], |r| r.get(0))?
                .collect::<Result<_, _>>()?,
        };
        let per_kind = kinds
            .into_iter()
            .map(|kind| Ok((kind.clone(), notion_totals(&kind).read(conn)?)))
            .collect::<Result<_, CollectorError>>()?;
        let events = conn
            .prepare_cached("SELECT activity, n FROM notion_events")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(Self {
            per_kind,
            events,
            left_out: IdSet::default(),
        })
    }

    /// The statistics, each kind's time span given by `span`.
    fn finish(
        &self,
        kind: Option<&str>,
        names: &HashMap<u32, String>,
        span: impl Fn(&str) -> Result<(Option<i64>, Option<i64>), CollectorError>,
    ) -> Result<ObjectCentric, CollectorError> {
        let name = |a: u32| names.get(&a).cloned().unwrap_or_default();
        let mut together = ProcessAggregate::default();
        let mut per_kind: Vec<(String, ProcessStats)> = Vec::new();
        for (of, totals) in &self.per_kind {
            if kind.is_none() && totals.cases <= 0 {
                continue;
            }
            together.merge(totals);
            let (first, last) = span(of)?;
            per_kind.push((of.clone(), totals.to_stats(name, first, last)));
        }
        if let Some(kind) = kind {
            let stats = per_kind
                .pop()
                .map_or_else(|| ProcessStatsBuilder::new().finish(), |(_, s)| s);
            return Ok(one_kind(kind, stats));
        }
        let first = per_kind.iter().filter_map(|(_, s)| s.first_event).min();
        let last = per_kind.iter().filter_map(|(_, s)| s.last_event).max();
        let counts: HashMap<String, i64> =
            self.events.iter().map(|(&a, &n)| (name(a), n)).collect();
        let union = together
            .to_stats(name, first, last)
            .recounted(|activity| counts.get(activity).copied().unwrap_or(0).max(0) as u64);
        Ok(object_centric(per_kind, union))
    }
}

/// Taking keys out of the totals, as the keys of instances a filter leaves out.
impl KeySink for KindTotals {
    fn add(&mut self, kind: &[u8], key: &KeyTrace) -> Result<(), CollectorError> {
        let Some((_, totals)) = self.per_kind.iter_mut().find(|(k, _)| k.as_bytes() == kind) else {
            return Err(CollectorError::Corrupt(format!(
                "a key of kind {} has steps but its kind has no totals",
                String::from_utf8_lossy(kind)
            )));
        };
        totals.remove(key.trace.steps());
        for (i, _) in key.firsts.iter().enumerate().filter(|(_, &f)| f) {
            *self.events.entry(key.trace.activities[i]).or_default() -= 1;
        }
        self.left_out.insert(key.row);
        Ok(())
    }
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

/// The first and last time of the steps of kind `kind`'s keys but those `left_out`: the keys
/// are read in time order from each end of their index up to the first one kept.
fn span_without(
    conn: &Connection,
    kind: &str,
    left_out: &IdSet,
) -> Result<(Option<i64>, Option<i64>), CollectorError> {
    let first_kept =
        |index: &str, time: &str, order: &str| -> Result<Option<i64>, CollectorError> {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {time}, key FROM notion_traces INDEXED BY {index}
             WHERE kind = ?1 ORDER BY {time} {order}"
            ))?;
            let mut rows = stmt.query([kind])?;
            while let Some(row) = rows.next()? {
                if !left_out.contains(row.get(1)?) {
                    return Ok(Some(row.get(0)?));
                }
            }
            Ok(None)
        };
    Ok((
        first_kept("notion_traces_by_first", "first_ts", "ASC")?,
        first_kept("notion_traces_by_last", "last_ts", "DESC")?,
    ))
}

/// The kinds in the order every store gives them: most steps first, ties by name.
pub fn object_centric(
    mut per_kind: Vec<(String, ProcessStats)>,
    union: ProcessStats,
) -> ObjectCentric {
    per_kind.sort_by(|a, b| b.1.events.cmp(&a.1.events).then_with(|| a.0.cmp(&b.0)));
    let (kinds, per_kind) = per_kind.into_iter().unzip();
    ObjectCentric {
        kinds,
        per_kind,
        union,
    }
}
