//! A set of row ids (of instances, of keys) kept as bits: a selection of most of a store's
//! instances is asked about once per key, so asking must cost next to nothing.

use fixedbitset::FixedBitSet;

/// Row ids, which are positive and dense in a store.
#[derive(Debug, Default)]
pub struct IdSet {
    bits: FixedBitSet,
    len: usize,
}

impl IdSet {
    /// Adds `id` (a negative id, which no row has, is ignored).
    pub fn insert(&mut self, id: i64) {
        let Ok(at) = usize::try_from(id) else {
            return;
        };
        if at >= self.bits.len() {
            self.bits.grow((at + 1).next_power_of_two());
        }
        if !self.bits.put(at) {
            self.len += 1;
        }
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: i64) -> bool {
        usize::try_from(id).is_ok_and(|at| self.bits.contains(at))
    }

    /// How many ids the set holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The smallest and the largest id; none when the set is empty.
    pub fn span(&self) -> Option<(i64, i64)> {
        Some((self.bits.minimum()? as i64, self.bits.maximum()? as i64))
    }

    /// The ids, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        self.bits.ones().map(|at| at as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_each_id_once_in_order() {
        let mut ids = IdSet::default();
        for id in [70, 3, 70, 1_000_000, -5, 0] {
            ids.insert(id);
        }
        assert_eq!(ids.len(), 4);
        assert_eq!(ids.iter().collect::<Vec<_>>(), [0, 3, 70, 1_000_000]);
        assert_eq!(ids.span(), Some((0, 1_000_000)));
        assert_eq!(IdSet::default().span(), None);
        assert!(ids.contains(70) && !ids.contains(71) && !ids.contains(-5));
        assert!(!ids.contains(5_000_000), "beyond the largest id");
    }
}
