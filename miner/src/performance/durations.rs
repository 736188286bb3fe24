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
    /// Statistics of `values`; the slice is reordered in place (partly sorted: selecting the
    /// percentiles' ranks costs less than sorting long lists of durations).
    pub fn from_unsorted(values: &mut [Micros]) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        let total: i128 = values.iter().map(|&v| v as i128).sum();
        let count = values.len();
        let (min, max) = values
            .iter()
            .fold((Micros::MAX, Micros::MIN), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        Self {
            count: count as u64,
            total: total.clamp(i64::MIN as i128, i64::MAX as i128) as Micros,
            mean: (total / count as i128) as Micros,
            median: percentile(values, 0.5),
            p95: percentile(values, 0.95),
            min,
            max,
        }
    }
}

/// The `q` percentile of `values`, interpolated between the neighbouring ranks.
fn percentile(values: &mut [Micros], q: f64) -> Micros {
    let rank = q * (values.len() - 1) as f64;
    let low = rank.floor() as usize;
    let fraction = rank - low as f64;
    let (_, &mut at_low, above) = values.select_nth_unstable(low);
    // The next rank's value is the least of those above the selected one.
    let at_high = match above.iter().min() {
        Some(&next) if fraction > 0.0 => next,
        _ => at_low,
    };
    (at_low as f64 + (at_high - at_low) as f64 * fraction).round() as Micros
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
    fn selected_ranks_equal_those_of_the_sorted_values() {
        for len in [1, 2, 3, 20, 21, 999, 1000] {
            // Scrambled, with repeats and negative values.
            let values: Vec<Micros> = (0..len)
                .map(|i| (i * 7_919 % 613) as Micros - 100)
                .collect();
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let at = |q: f64| {
                let rank = q * (len - 1) as f64;
                let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
                let fraction = rank - low as f64;
                (sorted[low] as f64 + (sorted[high] - sorted[low]) as f64 * fraction).round()
                    as Micros
            };
            let s = DurationStats::from_unsorted(&mut values.clone());
            assert_eq!((s.median, s.p95), (at(0.5), at(0.95)), "{len} values");
            assert_eq!((s.min, s.max), (sorted[0], sorted[len - 1]));
        }
    }

    #[test]
    fn empty_input_gives_zeroes() {
        assert_eq!(
            DurationStats::from_unsorted(&mut []),
            DurationStats::default()
        );
    }
}
