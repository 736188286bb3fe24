//! The running totals of the process state as rows, the one layout both stores keep them in:
//! a row is a measure code, up to two activity ids and either a count, a count with a total
//! of durations, or one bucket of a duration sketch. Writing a batch's change and reading the
//! totals back go through [`total_rows`] and [`absorb`], so the stores cannot disagree on it.

use crate::CollectorError;
use miner::discovery::{Counted, ProcessAggregate, Timed, VariantTotals};

/// Measure code of the number of cases.
pub const CASES: i64 = 6;
/// Measure code of the number of events.
pub const EVENTS: i64 = 7;
/// Measure code of the cases ending in an activity.
pub const END: i64 = 5;
/// "No activity" in the `a`/`b` columns.
pub const NONE: i64 = -1;

/// What a row of the totals is about: measure code and up to two activity ids.
pub type Code = (i64, i64, i64);

/// How a counted thing is stored.
fn counted_code(what: Counted) -> Code {
    match what {
        Counted::Event(a) => (1, a.into(), NONE),
        Counted::CaseWith(a) => (2, a.into(), NONE),
        Counted::Edge(a, b) => (3, a.into(), b.into()),
        Counted::Start(a) => (4, a.into(), NONE),
        Counted::End(a) => (END, a.into(), NONE),
    }
}

fn counted_from(code: Code) -> Option<Counted> {
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
fn timed_code(what: Timed) -> Code {
    match what {
        Timed::Edge(a, b) => (11, a.into(), b.into()),
        Timed::TimeToNext(a) => (12, a.into(), NONE),
        Timed::Service(a) => (13, a.into(), NONE),
        Timed::Waiting(a) => (14, a.into(), NONE),
        Timed::Throughput => (15, NONE, NONE),
    }
}

fn timed_from(code: Code) -> Option<Timed> {
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

/// One row of the totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalRow {
    /// How many of something (cases and events under [`CASES`] and [`EVENTS`]).
    Count {
        /// What.
        code: Code,
        /// How many.
        n: i64,
    },
    /// How many durations were measured and their total.
    Duration {
        /// Of what.
        code: Code,
        /// How many.
        n: i64,
        /// Their sum.
        total: i64,
    },
    /// How many durations fall into one bucket of the sketch.
    Bucket {
        /// Of what.
        code: Code,
        /// The bucket.
        bucket: i32,
        /// How many.
        n: i64,
    },
}

/// The rows that add `change` to the totals.
pub fn total_rows(change: &ProcessAggregate) -> Result<Vec<TotalRow>, CollectorError> {
    let mut rows: Vec<TotalRow> = change
        .counts
        .iter()
        .map(|(&what, &n)| TotalRow::Count {
            code: counted_code(what),
            n,
        })
        .collect();
    for (measure, n) in [(CASES, change.cases), (EVENTS, change.events)] {
        if n != 0 {
            rows.push(TotalRow::Count {
                code: (measure, NONE, NONE),
                n,
            });
        }
    }
    for (&what, sketch) in &change.durations {
        let code = timed_code(what);
        let total = i64::try_from(sketch.total).map_err(|_| {
            CollectorError::Internal(format!("a total of durations overflows: {}", sketch.total))
        })?;
        rows.push(TotalRow::Duration {
            code,
            n: sketch.count,
            total,
        });
        for (&bucket, &n) in &sketch.buckets {
            rows.push(TotalRow::Bucket { code, bucket, n });
        }
    }
    Ok(rows)
}

/// Adds a stored row to `totals`; a row of no known measure is a damaged state.
pub fn absorb(totals: &mut ProcessAggregate, row: TotalRow) -> Result<(), CollectorError> {
    let broken = |what: &str| CollectorError::Corrupt(format!("process state: {what}"));
    match row {
        TotalRow::Count { code, n } => match code.0 {
            CASES => totals.cases += n,
            EVENTS => totals.events += n,
            _ => {
                let what = counted_from(code).ok_or_else(|| broken("an unknown count"))?;
                *totals.counts.entry(what).or_default() += n;
            }
        },
        TotalRow::Duration { code, n, total } => {
            let what = timed_from(code).ok_or_else(|| broken("an unknown duration"))?;
            let sketch = totals.durations.entry(what).or_default();
            sketch.count += n;
            sketch.total += i128::from(total);
        }
        TotalRow::Bucket { code, bucket, n } => {
            let what = timed_from(code).ok_or_else(|| broken("an unknown duration bucket"))?;
            *totals
                .durations
                .entry(what)
                .or_default()
                .buckets
                .entry(bucket)
                .or_default() += n;
        }
    }
    Ok(())
}

/// A variant's activity sequence as the key it is stored under.
pub fn variant_key(activities: &[u32]) -> String {
    activities
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The rows that add `change` to the variant totals: key, cases, throughput.
pub fn variant_rows(change: &ProcessAggregate) -> Result<Vec<(String, i64, i64)>, CollectorError> {
    change
        .variants
        .iter()
        .map(|(sequence, v)| {
            let throughput = i64::try_from(v.throughput).map_err(|_| {
                CollectorError::Internal(format!(
                    "a variant's throughput overflows: {}",
                    v.throughput
                ))
            })?;
            Ok((variant_key(sequence), v.count, throughput))
        })
        .collect()
}

/// Whether a measure code is of durations (rows with a total, or buckets), not counts.
#[cfg(feature = "clickhouse")]
pub fn is_duration(measure: i64) -> bool {
    timed_from((measure, 0, 0)).is_some()
}

/// Adds a stored variant row (its key, cases and throughput) to `totals`.
pub fn absorb_variant(
    totals: &mut ProcessAggregate,
    key: &str,
    count: i64,
    throughput: i64,
) -> Result<(), CollectorError> {
    let sequence = key
        .split(',')
        .map(str::parse)
        .collect::<Result<Vec<u32>, _>>()
        .map_err(|_| {
            CollectorError::Corrupt(format!("process state: an unreadable variant {key:?}"))
        })?;
    let entry = totals.variants.entry(sequence).or_insert(VariantTotals {
        count: 0,
        throughput: 0,
    });
    entry.count += count;
    entry.throughput += i128::from(throughput);
    Ok(())
}
