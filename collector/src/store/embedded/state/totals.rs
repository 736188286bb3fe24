//! The running totals of the process state: applying a batch's change to them, and reading
//! them back as process statistics.

use super::{activity_names, corrupt, variant_key};
use crate::CollectorError;
use miner::discovery::{Counted, ProcessAggregate, ProcessStats, Timed, VariantTotals};
use miner::performance::QuantileSketch;
use rusqlite::{params, Connection, Transaction};

/// Measure code of the number of cases.
const CASES: i64 = 6;
/// Measure code of the number of events.
const EVENTS: i64 = 7;
/// Measure code of the cases ending in an activity.
const END: i64 = 5;
/// "No activity" in the `a`/`b` columns.
const NONE: i64 = -1;

/// How a counted thing is stored: measure code and up to two activity ids.
fn counted_code(what: Counted) -> (i64, i64, i64) {
    match what {
        Counted::Event(a) => (1, a.into(), NONE),
        Counted::CaseWith(a) => (2, a.into(), NONE),
        Counted::Edge(a, b) => (3, a.into(), b.into()),
        Counted::Start(a) => (4, a.into(), NONE),
        Counted::End(a) => (END, a.into(), NONE),
    }
}

fn counted_from(code: (i64, i64, i64)) -> Option<Counted> {
    let id = |v: i64| u32::try_from(v).ok();
    Some(match code.0 {
        1 => Counted::Event(id(code.1)?),
        2 => Counted::CaseWith(id(code.1)?),
        3 => Counted::Edge(id(code.1)?, id(code.2)?),
        4 => Counted::Start(id(code.1)?),
        END => Counted::End(id(code.1)?),
        _ => return None,
    })
}

/// How a measured duration is stored.
fn timed_code(what: Timed) -> (i64, i64, i64) {
    match what {
        Timed::Edge(a, b) => (11, a.into(), b.into()),
        Timed::TimeToNext(a) => (12, a.into(), NONE),
        Timed::Service(a) => (13, a.into(), NONE),
        Timed::Waiting(a) => (14, a.into(), NONE),
        Timed::Throughput => (15, NONE, NONE),
    }
}

fn timed_from(code: (i64, i64, i64)) -> Option<Timed> {
    let id = |v: i64| u32::try_from(v).ok();
    Some(match code.0 {
        11 => Timed::Edge(id(code.1)?, id(code.2)?),
        12 => Timed::TimeToNext(id(code.1)?),
        13 => Timed::Service(id(code.1)?),
        14 => Timed::Waiting(id(code.1)?),
        15 => Timed::Throughput,
        _ => return None,
    })
}

/// Adds `change` to the stored totals. Rows that come to zero stay until
/// [`drop_emptied`] (they count for nothing), which keeps a batch to one statement per row.
pub fn apply(tx: &Transaction<'_>, change: &ProcessAggregate) -> Result<(), CollectorError> {
    let mut count = tx.prepare_cached(
        "INSERT INTO state_counts (measure, a, b, n) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (measure, a, b) DO UPDATE SET n = n + excluded.n",
    )?;
    for (&what, &n) in &change.counts {
        let (measure, a, b) = counted_code(what);
        count.execute(params![measure, a, b, n])?;
    }
    for (measure, n) in [(CASES, change.cases), (EVENTS, change.events)] {
        if n != 0 {
            count.execute(params![measure, NONE, NONE, n])?;
        }
    }
    let mut duration = tx.prepare_cached(
        "INSERT INTO state_durations (measure, a, b, n, total) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (measure, a, b) DO UPDATE SET n = n + excluded.n, total = total + excluded.total",
    )?;
    let mut bucket = tx.prepare_cached(
        "INSERT INTO state_buckets (measure, a, b, bucket, n) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (measure, a, b, bucket) DO UPDATE SET n = n + excluded.n",
    )?;
    for (&what, sketch) in &change.durations {
        let (measure, a, b) = timed_code(what);
        let total = i64::try_from(sketch.total).map_err(|_| {
            CollectorError::Internal(format!("a total of durations overflows: {}", sketch.total))
        })?;
        duration.execute(params![measure, a, b, sketch.count, total])?;
        for (&k, &n) in &sketch.buckets {
            bucket.execute(params![measure, a, b, k, n])?;
        }
    }
    let mut variant = tx.prepare_cached(
        "INSERT INTO state_variants (activities, n, throughput) VALUES (?1, ?2, ?3)
         ON CONFLICT (activities) DO UPDATE SET n = n + excluded.n, throughput = throughput + excluded.throughput",
    )?;
    for (sequence, totals) in &change.variants {
        let throughput = i64::try_from(totals.throughput).map_err(|_| {
            CollectorError::Internal(format!(
                "a variant's throughput overflows: {}",
                totals.throughput
            ))
        })?;
        variant.execute(params![variant_key(sequence), totals.count, throughput])?;
    }
    Ok(())
}

/// Removes the rows of the totals that came to zero (buckets, edges and variants no instance
/// has any more).
pub fn drop_emptied(conn: &Connection) -> Result<(), CollectorError> {
    conn.execute_batch(
        "DELETE FROM state_counts WHERE n = 0;
         DELETE FROM state_durations WHERE n = 0 AND total = 0;
         DELETE FROM state_buckets WHERE n = 0;
         DELETE FROM state_variants WHERE n = 0;",
    )?;
    Ok(())
}

/// The statistics of every instance, from the stored totals.
pub fn read_totals(conn: &Connection) -> Result<ProcessStats, CollectorError> {
    let mut totals = ProcessAggregate::default();
    let broken = |what: &str| CollectorError::Corrupt(format!("process state: {what}"));
    let mut stmt = conn.prepare_cached("SELECT measure, a, b, n FROM state_counts")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let code = (r.get(0)?, r.get(1)?, r.get(2)?);
        let n: i64 = r.get(3)?;
        match code.0 {
            CASES => totals.cases = n,
            EVENTS => totals.events = n,
            _ => {
                let what = counted_from(code).ok_or_else(|| broken("an unknown count"))?;
                totals.counts.insert(what, n);
            }
        }
    }
    let mut stmt = conn.prepare_cached("SELECT measure, a, b, n, total FROM state_durations")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let what = timed_from((r.get(0)?, r.get(1)?, r.get(2)?))
            .ok_or_else(|| broken("an unknown duration"))?;
        let sketch = totals.durations.entry(what).or_default();
        sketch.count = r.get(3)?;
        sketch.total = r.get::<_, i64>(4)?.into();
    }
    let mut stmt = conn.prepare_cached("SELECT measure, a, b, bucket, n FROM state_buckets")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let what = timed_from((r.get(0)?, r.get(1)?, r.get(2)?))
            .ok_or_else(|| broken("an unknown duration bucket"))?;
        let sketch: &mut QuantileSketch = totals.durations.entry(what).or_default();
        sketch.buckets.insert(r.get(3)?, r.get(4)?);
    }
    let mut stmt = conn.prepare_cached("SELECT activities, n, throughput FROM state_variants")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key = r.get_ref(0)?.as_str().map_err(corrupt)?;
        let sequence = key
            .split(',')
            .map(str::parse)
            .collect::<Result<Vec<u32>, _>>()
            .map_err(|_| broken("an unreadable variant"))?;
        let totals_of = VariantTotals {
            count: r.get(1)?,
            throughput: r.get::<_, i64>(2)?.into(),
        };
        totals.variants.insert(sequence, totals_of);
    }
    let names = activity_names(conn)?;
    let (first, last) = conn.query_row(
        "SELECT (SELECT MIN(first_ts) FROM instances), (SELECT MAX(last_ts) FROM instances)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(totals.to_stats(|a| names.get(&a).cloned().unwrap_or_default(), first, last))
}

/// How many instances and events the totals hold, and how many instances ended in one of
/// `end_activities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseTotals {
    /// Instances.
    pub cases: u64,
    /// Their events.
    pub events: u64,
    /// Instances whose last activity is an end activity.
    pub completed: u64,
}

/// The [`CaseTotals`] for `end_activities`, read from a handful of rows.
pub fn case_totals(
    conn: &Connection,
    end_activities: &[String],
) -> Result<CaseTotals, CollectorError> {
    let total = |measure: i64| -> rusqlite::Result<u64> {
        conn.prepare_cached("SELECT COALESCE(SUM(n), 0) FROM state_counts WHERE measure = ?1")?
            .query_row([measure], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
    };
    let mut completed = 0;
    let names: std::collections::BTreeSet<&String> = end_activities.iter().collect();
    let mut ended = conn.prepare_cached(
        "SELECT COALESCE(SUM(c.n), 0) FROM state_counts c JOIN state_activities a ON a.id = c.a
         WHERE c.measure = ?1 AND a.name = ?2",
    )?;
    for name in names {
        completed += ended
            .query_row(params![END, name], |r| r.get::<_, i64>(0))?
            .max(0) as u64;
    }
    Ok(CaseTotals {
        cases: total(CASES)?,
        events: total(EVENTS)?,
        completed,
    })
}
