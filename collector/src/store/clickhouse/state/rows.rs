//! The rows of the process state in ClickHouse, and how they map to the shared forms (a
//! [`Trace`], a [`TotalRow`]).

use crate::correlate::InstanceId;
use crate::store::state_rows::{is_duration, Code, TotalRow};
use crate::store::trace_codec::Trace;
use clickhouse::Row;
use miner::log::Lifecycle;
use serde::{Deserialize, Serialize};

/// `state_totals.bucket` of a row that is a count, or a count with a total, not a bucket.
pub const NO_BUCKET: i32 = i32::MIN;

/// The lifecycle of a step as the `events` and `state_traces` tables keep it.
pub fn lifecycle_code(lifecycle: Lifecycle) -> u8 {
    match lifecycle {
        Lifecycle::Start => 1,
        Lifecycle::Complete => 2,
        Lifecycle::Other => 0,
    }
}

fn lifecycle_of(code: u8) -> Lifecycle {
    match code {
        1 => Lifecycle::Start,
        2 => Lifecycle::Complete,
        _ => Lifecycle::Other,
    }
}

/// A version of one instance's row of `state_traces`: its summary and its steps as arrays.
/// The highest version counts; one with no events says the instance is no longer summarised.
#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct TraceRow {
    /// The instance.
    pub instance: i64,
    /// The batch that wrote the row.
    pub version: u64,
    /// Its label.
    pub label: String,
    /// How many events (steps) it has; 0: gone.
    pub events: u64,
    /// Its first event time.
    pub first_ts: i64,
    /// Its last event time.
    pub last_ts: i64,
    /// The activity of its last event.
    pub last_activity: String,
    /// Activity ids, in stored order.
    pub acts: Vec<u32>,
    /// Times.
    pub tss: Vec<i64>,
    /// Lifecycles (see [`lifecycle_code`]).
    pub lcs: Vec<u8>,
    /// Span ends (0 where none).
    pub ends: Vec<i64>,
    /// 1 where a span end is recorded.
    pub has_end: Vec<u8>,
}

impl TraceRow {
    /// The row of `instance` with `trace` (not empty), `last_activity` naming its last step.
    pub fn of(
        instance: InstanceId,
        version: u64,
        label: String,
        trace: &Trace,
        last_activity: String,
    ) -> Self {
        let tss: Vec<i64> = trace.timestamps.iter().map(|t| t.unwrap_or(0)).collect();
        Self {
            instance,
            version,
            label,
            events: trace.activities.len() as u64,
            first_ts: tss.first().copied().unwrap_or(0),
            last_ts: tss.last().copied().unwrap_or(0),
            last_activity,
            acts: trace.activities.clone(),
            lcs: trace
                .lifecycles
                .iter()
                .map(|&l| lifecycle_code(l))
                .collect(),
            ends: trace.ends.iter().map(|e| e.unwrap_or(0)).collect(),
            has_end: trace.ends.iter().map(|e| u8::from(e.is_some())).collect(),
            tss,
        }
    }

    /// The row saying `instance` is no longer summarised.
    pub fn gone(instance: InstanceId, version: u64) -> Self {
        Self {
            instance,
            version,
            label: String::new(),
            events: 0,
            first_ts: 0,
            last_ts: 0,
            last_activity: String::new(),
            acts: Vec::new(),
            tss: Vec::new(),
            lcs: Vec::new(),
            ends: Vec::new(),
            has_end: Vec::new(),
        }
    }

    /// The steps the row holds.
    pub fn trace(&self) -> Trace {
        Trace {
            activities: self.acts.clone(),
            timestamps: self.tss.iter().map(|&t| Some(t)).collect(),
            lifecycles: self.lcs.iter().map(|&l| lifecycle_of(l)).collect(),
            ends: self
                .ends
                .iter()
                .zip(&self.has_end)
                .map(|(&e, &has)| (has == 1).then_some(e))
                .collect(),
        }
    }
}

/// A row of `state_totals` (summed by the engine): see [`TotalRow`].
#[derive(Debug, Clone, Copy, Row, Serialize, Deserialize)]
pub struct TotalsRow {
    /// Measure code.
    pub measure: i64,
    /// First activity id.
    pub a: i64,
    /// Second activity id.
    pub b: i64,
    /// Sketch bucket, or [`NO_BUCKET`].
    pub bucket: i32,
    /// How many.
    pub n: i64,
    /// Sum of durations.
    pub total: i64,
}

impl From<TotalRow> for TotalsRow {
    fn from(row: TotalRow) -> Self {
        let of = |(measure, a, b): Code, bucket, n, total| Self {
            measure,
            a,
            b,
            bucket,
            n,
            total,
        };
        match row {
            TotalRow::Count { code, n } => of(code, NO_BUCKET, n, 0),
            TotalRow::Duration { code, n, total } => of(code, NO_BUCKET, n, total),
            TotalRow::Bucket { code, bucket, n } => of(code, bucket, n, 0),
        }
    }
}

impl From<TotalsRow> for TotalRow {
    fn from(r: TotalsRow) -> Self {
        let code = (r.measure, r.a, r.b);
        if r.bucket != NO_BUCKET {
            TotalRow::Bucket {
                code,
                bucket: r.bucket,
                n: r.n,
            }
        } else if is_duration(r.measure) {
            TotalRow::Duration {
                code,
                n: r.n,
                total: r.total,
            }
        } else {
            TotalRow::Count { code, n: r.n }
        }
    }
}

/// A row of `state_variants` (summed by the engine).
#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct VariantRow {
    /// The activity ids, as [`crate::store::state_rows::variant_key`] writes them.
    pub activities: String,
    /// Cases.
    pub n: i64,
    /// Sum of their throughput times.
    pub throughput: i64,
}

/// A row of `state_activities`: an activity name and its id in the state.
#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct ActivityRow {
    /// The id.
    pub id: u32,
    /// The name.
    pub name: String,
}

/// A row of `state_done`: the state is complete through this batch version.
#[derive(Debug, Clone, Copy, Row, Serialize, Deserialize)]
pub struct DoneRow {
    /// The batch.
    pub version: u64,
    /// The layout of the state it was written in.
    pub layout: u32,
}

/// One stored event as the state reads it back.
#[derive(Debug, Clone, Row, Deserialize)]
pub struct StepRow {
    /// The instance it is stored under (or, where the query resolves merges, belongs to).
    pub instance: i64,
    /// Its activity.
    pub activity: String,
    /// Its time.
    pub ts: i64,
    /// Its lifecycle code.
    pub lifecycle: u8,
    /// Its span end.
    pub end_ts: i64,
    /// 1 when it has a span end.
    pub has_end: u8,
}

impl StepRow {
    /// The lifecycle of the step.
    pub fn lifecycle(&self) -> Lifecycle {
        lifecycle_of(self.lifecycle)
    }

    /// Its span end, when it has one.
    pub fn end(&self) -> Option<i64> {
        (self.has_end == 1).then_some(self.end_ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_survives_its_row() {
        let mut trace = Trace::default();
        trace.push(3, 10, Lifecycle::Start, None);
        trace.push(3, 20, Lifecycle::Complete, Some(25));
        trace.push(1, 30, Lifecycle::Other, Some(0));
        let row = TraceRow::of(7, 2, "order=1".into(), &trace, "x".into());
        assert_eq!(row.trace(), trace);
        assert_eq!((row.events, row.first_ts, row.last_ts), (3, 10, 30));
    }

    #[test]
    fn every_kind_of_total_survives_its_row() {
        for row in [
            TotalRow::Count {
                code: (3, 1, 2),
                n: -4,
            },
            TotalRow::Duration {
                code: (11, 1, 2),
                n: 5,
                total: 77,
            },
            TotalRow::Bucket {
                code: (11, 1, 2),
                bucket: -3,
                n: 2,
            },
        ] {
            assert_eq!(TotalRow::from(TotalsRow::from(row)), row);
        }
    }
}
