//! The running totals of the process state: applying a batch's change to them, and reading
//! them back as process statistics.

use super::{activity_names, corrupt};
use crate::store::state_rows::{
    absorb, absorb_variant, total_rows, variant_rows, TotalRow, CASES, END, EVENTS,
};
use crate::CollectorError;
use miner::discovery::{ProcessAggregate, ProcessStats};
use rusqlite::{params, Connection, Transaction};

/// Adds `change` to the stored totals. Rows that come to zero stay until
/// [`drop_emptied`] (they count for nothing), which keeps a batch to one statement per row.
pub fn apply(tx: &Transaction<'_>, change: &ProcessAggregate) -> Result<(), CollectorError> {
    let mut count = tx.prepare_cached(
        "INSERT INTO state_counts (measure, a, b, n) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (measure, a, b) DO UPDATE SET n = n + excluded.n",
    )?;
    let mut duration = tx.prepare_cached(
        "INSERT INTO state_durations (measure, a, b, n, total) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (measure, a, b) DO UPDATE SET n = n + excluded.n, total = total + excluded.total",
    )?;
    let mut bucket = tx.prepare_cached(
        "INSERT INTO state_buckets (measure, a, b, bucket, n) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (measure, a, b, bucket) DO UPDATE SET n = n + excluded.n",
    )?;
    for row in total_rows(change)? {
        match row {
            TotalRow::Count { code: (m, a, b), n } => count.execute(params![m, a, b, n])?,
            TotalRow::Duration {
                code: (m, a, b),
                n,
                total,
            } => duration.execute(params![m, a, b, n, total])?,
            TotalRow::Bucket {
                code: (m, a, b),
                bucket: k,
                n,
            } => bucket.execute(params![m, a, b, k, n])?,
        };
    }
    let mut variant = tx.prepare_cached(
        "INSERT INTO state_variants (activities, n, throughput) VALUES (?1, ?2, ?3)
         ON CONFLICT (activities) DO UPDATE SET n = n + excluded.n, throughput = throughput + excluded.throughput",
    )?;
    for (key, n, throughput) in variant_rows(change)? {
        variant.execute(params![key, n, throughput])?;
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
    let mut stmt = conn.prepare_cached("SELECT measure, a, b, n FROM state_counts")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let code = (r.get(0)?, r.get(1)?, r.get(2)?);
        absorb(&mut totals, TotalRow::Count { code, n: r.get(3)? })?;
    }
    let mut stmt = conn.prepare_cached("SELECT measure, a, b, n, total FROM state_durations")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let code = (r.get(0)?, r.get(1)?, r.get(2)?);
        let (n, total) = (r.get(3)?, r.get(4)?);
        absorb(&mut totals, TotalRow::Duration { code, n, total })?;
    }
    let mut stmt = conn.prepare_cached("SELECT measure, a, b, bucket, n FROM state_buckets")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let code = (r.get(0)?, r.get(1)?, r.get(2)?);
        let (bucket, n) = (r.get(3)?, r.get(4)?);
        absorb(&mut totals, TotalRow::Bucket { code, bucket, n })?;
    }
    let mut stmt = conn.prepare_cached("SELECT activities, n, throughput FROM state_variants")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key = r.get_ref(0)?.as_str().map_err(corrupt)?;
        absorb_variant(&mut totals, key, r.get(1)?, r.get(2)?)?;
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

/// How many instances last did each activity (their case ends there), read from the totals.
pub fn instances_by_last_step(conn: &Connection) -> Result<Vec<(String, u64)>, CollectorError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.name, SUM(c.n) FROM state_counts c JOIN state_activities a ON a.id = c.a
         WHERE c.measure = ?1 GROUP BY a.name",
    )?;
    let rows = stmt
        .query_map([END], |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
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
