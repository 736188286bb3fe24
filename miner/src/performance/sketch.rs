//! A quantile sketch of durations that can be added to *and subtracted from*, so that a store
//! keeps the duration statistics of a live process current as cases change, without keeping
//! every duration.
//!
//! Values fall into logarithmic buckets (the DDSketch scheme): every value of bucket `i` lies
//! within [`RELATIVE_ERROR`] of the bucket's representative, so any quantile read from the
//! sketch is within that relative error of the exact one. Counts per bucket are plain integers,
//! which is what makes removing a value (a case that changed, or was deleted) exact. Count and
//! total are kept exactly beside the buckets, so means and totals carry no error.

use super::DurationStats;
use crate::time::Micros;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The largest relative error of a quantile, minimum or maximum read from a sketch (before
/// rounding to whole microseconds).
pub const RELATIVE_ERROR: f64 = 0.005;

/// The ratio between the bounds of a bucket.
fn gamma() -> f64 {
    (1.0 + RELATIVE_ERROR) / (1.0 - RELATIVE_ERROR)
}

/// Durations as counts per logarithmic bucket, with their exact count and total. Counts may
/// go negative while a sketch is used as a *change* to be applied to another one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantileSketch {
    /// Number of values.
    pub count: i64,
    /// Their exact sum.
    pub total: i128,
    /// Count per bucket (see [`bucket_of`]), in value order.
    pub buckets: BTreeMap<i32, i64>,
}

/// The bucket of `value`: 0 holds zero, `k > 0` the positive values whose logarithmic index
/// is `k - 1`, `-k` the negative values of magnitude index `k - 1`. Keys sort as values do.
pub fn bucket_of(value: Micros) -> i32 {
    if value == 0 {
        return 0;
    }
    let index = ((value.unsigned_abs() as f64).ln() / gamma().ln())
        .ceil()
        .max(0.0) as i32
        + 1;
    if value > 0 {
        index
    } else {
        -index
    }
}

/// The value standing for every value of `bucket`: within [`RELATIVE_ERROR`] of each.
pub fn representative(bucket: i32) -> f64 {
    if bucket == 0 {
        return 0.0;
    }
    let g = gamma();
    let magnitude = 2.0 * g.powi(bucket.abs() - 1) / (g + 1.0);
    magnitude * f64::from(bucket.signum())
}

impl QuantileSketch {
    /// Adds `weight` occurrences of `value` (a negative weight removes them).
    pub fn add(&mut self, value: Micros, weight: i64) {
        self.count += weight;
        self.total += i128::from(value) * i128::from(weight);
        let bucket = self.buckets.entry(bucket_of(value)).or_default();
        *bucket += weight;
        if *bucket == 0 {
            self.buckets.remove(&bucket_of(value));
        }
    }

    /// Adds every value of `other` (which may be a change with negative counts).
    pub fn merge(&mut self, other: &QuantileSketch) {
        self.count += other.count;
        self.total += other.total;
        for (&bucket, &n) in &other.buckets {
            let kept = self.buckets.entry(bucket).or_default();
            *kept += n;
            if *kept == 0 {
                self.buckets.remove(&bucket);
            }
        }
    }

    /// Whether it holds no value and no change.
    pub fn is_empty(&self) -> bool {
        self.count == 0 && self.total == 0 && self.buckets.is_empty()
    }

    /// The estimate of the value at 0-based `rank` in sorted order.
    fn at_rank(&self, rank: i64) -> f64 {
        let mut seen = 0;
        for (&bucket, &n) in &self.buckets {
            seen += n;
            if seen > rank {
                return representative(bucket);
            }
        }
        self.buckets
            .keys()
            .last()
            .map_or(0.0, |&b| representative(b))
    }

    /// The `q` quantile, interpolated between neighbouring ranks as
    /// [`DurationStats::from_unsorted`] (and numpy) do.
    fn quantile(&self, q: f64) -> Micros {
        let rank = q * (self.count - 1) as f64;
        let (low, high) = (rank.floor() as i64, rank.ceil() as i64);
        let (a, b) = (self.at_rank(low), self.at_rank(high));
        (a + (b - a) * (rank - low as f64)).round() as Micros
    }
}

impl DurationStats {
    /// The statistics a sketch gives: count, total and mean exact; median, p95, minimum and
    /// maximum within [`RELATIVE_ERROR`]. A sketch with no values (or a broken one, with
    /// negative counts) gives empty statistics.
    pub fn from_sketch(sketch: &QuantileSketch) -> Self {
        if sketch.count <= 0 || sketch.buckets.values().any(|&n| n < 0) {
            return Self::default();
        }
        let mean = sketch.total / i128::from(sketch.count);
        let clamp = |v: i128| v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as Micros;
        Self {
            count: sketch.count as u64,
            total: clamp(sketch.total),
            mean: clamp(mean),
            median: sketch.quantile(0.5),
            p95: sketch.quantile(0.95),
            min: sketch.at_rank(0).round() as Micros,
            max: sketch.at_rank(sketch.count - 1).round() as Micros,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(estimate: Micros, exact: Micros) -> bool {
        (estimate - exact).abs() as f64 <= RELATIVE_ERROR * exact.abs() as f64 + 0.5
    }

    #[test]
    fn quantiles_stay_within_the_relative_error() {
        // A skewed spread over six orders of magnitude, like waiting times.
        let mut values: Vec<Micros> = (0..5_000u64)
            .map(|i| ((i * 7_919) % 5_000) as Micros)
            .map(|i| (i * i * 40 + 1) as Micros)
            .collect();
        let mut sketch = QuantileSketch::default();
        values.iter().for_each(|&v| sketch.add(v, 1));
        let exact = DurationStats::from_unsorted(&mut values);
        let estimate = DurationStats::from_sketch(&sketch);
        assert_eq!(
            (estimate.count, estimate.total, estimate.mean),
            (exact.count, exact.total, exact.mean)
        );
        for (e, x) in [
            (estimate.median, exact.median),
            (estimate.p95, exact.p95),
            (estimate.min, exact.min),
            (estimate.max, exact.max),
        ] {
            assert!(within(e, x), "estimate {e} vs exact {x}");
        }
    }

    #[test]
    fn removing_values_gives_the_sketch_of_what_remains() {
        let mut both = QuantileSketch::default();
        let mut kept = QuantileSketch::default();
        for v in [0, 3, -8, 1_000, 250_000, 7] {
            both.add(v, 1);
            kept.add(v, 1);
        }
        for v in [99, 1_000_000, -1] {
            both.add(v, 1);
        }
        let mut change = QuantileSketch::default();
        for v in [99, 1_000_000, -1] {
            change.add(v, -1);
        }
        both.merge(&change);
        assert_eq!(both, kept);
    }

    #[test]
    fn buckets_sort_as_values_do() {
        let values = [-5_000_000, -3, -1, 0, 1, 2, 3, 100, 5_000_000];
        let buckets: Vec<i32> = values.iter().map(|&v| bucket_of(v)).collect();
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
        for &v in &values {
            let r = representative(bucket_of(v));
            assert!((r - v as f64).abs() <= RELATIVE_ERROR * v.abs() as f64 + 1e-9);
        }
    }

    #[test]
    fn an_empty_or_broken_sketch_gives_empty_statistics() {
        assert_eq!(
            DurationStats::from_sketch(&QuantileSketch::default()),
            DurationStats::default()
        );
        let mut broken = QuantileSketch::default();
        broken.add(5, -1);
        broken.add(9, 2);
        assert_eq!(
            DurationStats::from_sketch(&broken),
            DurationStats::default()
        );
    }
}
