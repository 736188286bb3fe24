//! Summary statistics of a set of durations.

use crate::time::Micros;
use serde::{Deserialize, Serialize};

/// Count, total, mean, median and 95th percentile of a set of durations (microseconds).
///
/// Percentiles interpolate linearly between ranks, as numpy and pm4py do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DurationStats {
    /// How many durations.
    pub count: u64,
    /// Their sum: the total waiting time on an edge.
    pub total: Micros,
    /// Arithmetic mean.
    pub mean: Micros,
    /// 50th percentile.
    pub median: Micros,
    /// 95th percentile.
    pub p95: Micros,
    /// Smallest.
    pub min: Micros,
    /// Largest.
    pub max: Micros,
}

impl DurationStats {
    /// Statistics of `values`; the slice is sorted in place.
    pub fn from_unsorted(values: &mut [Micros]) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        values.sort_unstable();
        let total: i128 = values.iter().map(|&v| v as i128).sum();
        let count = values.len();
        Self {
            count: count as u64,
            total: total.clamp(i64::MIN as i128, i64::MAX as i128) as Micros,
            mean: (total / count as i128) as Micros,
            median: percentile(values, 0.5),
            p95: percentile(values, 0.95),
            min: values[0],
            max: values[count - 1],
        }
    }
}

fn percentile(sorted: &[Micros], q: f64) -> Micros {
    let rank = q * (sorted.len() - 1) as f64;
    let low = rank.floor() as usize;
    let high = rank.ceil() as usize;
    let fraction = rank - low as f64;
    (sorted[low] as f64 + (sorted[high] - sorted[low]) as f64 * fraction).round() as Micros
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_percentiles_like_numpy() {
        let mut v: Vec<Micros> = (1..=10).rev().collect();
        let s = DurationStats::from_unsorted(&mut v);
        assert_eq!(s.count, 10);
        assert_eq!(s.total, 55);
        assert_eq!(s.mean, 5);
        // numpy.percentile(range(1, 11), 50) == 5.5, (.., 95) == 9.55
        assert_eq!(s.median, 6);
        assert_eq!(s.p95, 10);
        assert_eq!((s.min, s.max), (1, 10));
        let mut big: Vec<Micros> = (0..=100).map(|v| v * 1000).collect();
        let s = DurationStats::from_unsorted(&mut big);
        assert_eq!(s.median, 50_000);
        assert_eq!(s.p95, 95_000);
    }

    #[test]
    fn empty_input_gives_zeroes() {
        assert_eq!(
            DurationStats::from_unsorted(&mut []),
            DurationStats::default()
        );
    }
}
