//! The running totals of the process state: applying a batch's change to them, and reading
//! them back as process statistics.

use super::{activity_names, corrupt};
use crate::store::state_rows::{
    absorb, absorb_variant, total_rows, variant_rows, TotalRow, CASES, END, EVENTS,
};
use crate::CollectorError;
use miner::discovery::{ProcessAggregate, ProcessStats};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, Transaction};

/// A set of running-totals tables: `{prefix}_counts`, `{prefix}_durations`,
/// `{prefix}_buckets` and `{prefix}_variants`, each row of one part of them when `part` is
/// given (the case notions keep one part per key kind, in a `kind` column).
#[derive(Debug, Clone, Copy)]
pub struct TotalsTables<'a> {
    /// The tables' common prefix.
    pub prefix: &'a str,
    /// The value of their `kind` column, for tables kept in parts.
    pub part: Option<&'a str>,
}

/// The process state's own totals, over every instance.
const STATE: TotalsTables<'static> = TotalsTables {
    prefix: "state",
    part: None,
};

impl TotalsTables<'_> {
    /// The column naming the part, as a column list's head (empty when not kept in parts).
    fn part_column(&self) -> &'static str {
        if self.part.is_some() {
            "kind, "
        } else {
            ""
        }
    }

    /// `values` after the part's value, as parameters.
    fn params(&self, values: impl IntoIterator<Item = SqlValue>) -> Vec<SqlValue> {
        self.part
            .map(|p| SqlValue::Text(p.to_string()))
            .into_iter()
            .chain(values)
            .collect()
    }

    /// Adds `change` to the totals. Rows that come to zero stay until [`drop_emptied`]
    /// (they count for nothing), which keeps a batch to one statement per row.
    pub fn apply(
        &self,
        tx: &Transaction<'_>,
        change: &ProcessAggregate,
    ) -> Result<(), CollectorError> {
        let (prefix, part) = (self.prefix, self.part_column());
        let marks = |n: usize| vec!["?"; n + usize::from(self.part.is_some())].join(", ");
        let mut count = tx.prepare_cached(&format!(
            "INSERT INTO {prefix}_counts ({part}measure, a, b, n) VALUES ({})
             ON CONFLICT ({part}measure, a, b) DO UPDATE SET n = n + excluded.n",
            marks(4)
        ))?;
        let mut duration = tx.prepare_cached(&format!(
            "INSERT INTO {prefix}_durations ({part}measure, a, b, n, total) VALUES ({})
             ON CONFLICT ({part}measure, a, b) DO UPDATE SET n = n + excluded.n, total = total + excluded.total",
            marks(5)
        ))?;
        let mut bucket = tx.prepare_cached(&format!(
            "INSERT INTO {prefix}_buckets ({part}measure, a, b, bucket, n) VALUES ({})
             ON CONFLICT ({part}measure, a, b, bucket) DO UPDATE SET n = n + excluded.n",
            marks(5)
        ))?;
        let int = SqlValue::Integer;
        for row in total_rows(change)? {
            match row {
                TotalRow::Count { code: (m, a, b), n } => {
                    count.execute(params_from_iter(self.params([
                        int(m),
                        int(a),
                        int(b),
                        int(n),
                    ])))?
                }
                TotalRow::Duration {
                    code: (m, a, b),
                    n,
                    total,
                } => duration.execute(params_from_iter(self.params([
                    int(m),
                    int(a),
                    int(b),
                    int(n),
                    int(total),
                ])))?,
                TotalRow::Bucket {
                    code: (m, a, b),
                    bucket: k,
                    n,
                } => bucket.execute(params_from_iter(self.params([
                    int(m),
                    int(a),
                    int(b),
                    int(k.into()),
                    int(n),
                ])))?,
            };
        }
        let mut variant = tx.prepare_cached(&format!(
            "INSERT INTO {prefix}_variants ({part}activities, n, throughput) VALUES ({})
             ON CONFLICT ({part}activities) DO UPDATE SET n = n + excluded.n, throughput = throughput + excluded.throughput",
            marks(3)
        ))?;
        for (key, n, throughput) in variant_rows(change)? {
            let values = [SqlValue::Text(key), int(n), int(throughput)];
            variant.execute(params_from_iter(self.params(values)))?;
        }
        Ok(())
    }

    /// The totals as stored.
    pub fn read(&self, conn: &Connection) -> Result<ProcessAggregate, CollectorError> {
        let (prefix, part) = (self.prefix, self.part.map_or("", |_| " WHERE kind = ?1"));
        let part_params = self.params([]);
        let mut totals = ProcessAggregate::default();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT measure, a, b, n FROM {prefix}_counts{part}"
        ))?;
        let mut rows = stmt.query(params_from_iter(&part_params))?;
        while let Some(r) = rows.next()? {
            let code = (r.get(0)?, r.get(1)?, r.get(2)?);
            absorb(&mut totals, TotalRow::Count { code, n: r.get(3)? })?;
        }
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT measure, a, b, n, total FROM {prefix}_durations{part}"
        ))?;
        let mut rows = stmt.query(params_from_iter(&part_params))?;
        while let Some(r) = rows.next()? {
            let code = (r.get(0)?, r.get(1)?, r.get(2)?);
            let (n, total) = (r.get(3)?, r.get(4)?);
            absorb(&mut totals, TotalRow::Duration { code, n, total })?;
        }
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT measure, a, b, bucket, n FROM {prefix}_buckets{part}"
        ))?;
        let mut rows = stmt.query(params_from_iter(&part_params))?;
        while let Some(r) = rows.next()? {
            let code = (r.get(0)?, r.get(1)?, r.get(2)?);
            let (bucket, n) = (r.get(3)?, r.get(4)?);
            absorb(&mut totals, TotalRow::Bucket { code, bucket, n })?;
        }
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT activities, n, throughput FROM {prefix}_variants{part}"
        ))?;
        let mut rows = stmt.query(params_from_iter(&part_params))?;
        while let Some(r) = rows.next()? {
            let key = r.get_ref(0)?.as_str().map_err(corrupt)?;
            absorb_variant(&mut totals, key, r.get(1)?, r.get(2)?)?;
        }
        Ok(totals)
    }
}

/// Adds `change` to the process state's totals (see [`TotalsTables::apply`]).
pub fn apply(tx: &Transaction<'_>, change: &ProcessAggregate) -> Result<(), CollectorError> {
    STATE.apply(tx, change)
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
    let totals = STATE.read(conn)?;
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
