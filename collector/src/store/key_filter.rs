//! Which keys the store may hold, in a few bits each: a key the filter has never seen is new,
//! so the writer skips the index probe it would otherwise make for every key not in memory.
//!
//! A Bloom filter over the keys' value hashes ([`super::stable_hash`]; 10 bits and 7 probes a
//! key: about 1 % false positives, which only cost the probe the filter would have spared).
//! Each store fills it from its own keys on a thread of its own when the writer opens (a
//! [`Loader`]), while the writer probes as before; keys the writer stores meanwhile are kept
//! aside and added when it arrives. Keys deleted by retention stay in it (a probe each); when
//! it holds more keys than it was sized for, a larger one is filled the same way.

use std::sync::mpsc::{channel, Receiver, TryRecvError};

/// Bits per key the filter is sized for.
const BITS_PER_KEY: usize = 10;
/// Bit positions per key.
const PROBES: u64 = 7;
/// Fewest keys a filter is sized for.
const MIN_KEYS: usize = 1 << 16;

/// A Bloom filter of value hashes.
pub struct KeyFilter {
    words: Vec<u64>,
    /// Number of bits minus one (a power of two minus one).
    mask: u64,
    inserted: usize,
    capacity: usize,
}

impl KeyFilter {
    /// An empty filter for about `keys` keys.
    pub fn with_capacity(keys: usize) -> Self {
        let capacity = keys.max(MIN_KEYS);
        let bits = (capacity * BITS_PER_KEY).next_power_of_two();
        Self {
            words: vec![0; bits / 64],
            mask: bits as u64 - 1,
            inserted: 0,
            capacity,
        }
    }

    /// The bit positions of a value hash (double hashing).
    fn positions(mask: u64, value_hash: i64) -> impl Iterator<Item = u64> {
        let h1 = value_hash as u64;
        let h2 = (h1.rotate_left(32) ^ 0x9e37_79b9_7f4a_7c15) | 1;
        (0..PROBES).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) & mask)
    }

    /// Adds a key, by the stored hash of its value.
    pub fn insert(&mut self, value_hash: i64) {
        for bit in Self::positions(self.mask, value_hash) {
            self.words[(bit / 64) as usize] |= 1 << (bit % 64);
        }
        self.inserted += 1;
    }

    /// Whether a key with this value hash may be stored; `false` means certainly not.
    pub fn may_contain(&self, value_hash: i64) -> bool {
        Self::positions(self.mask, value_hash)
            .all(|bit| self.words[(bit / 64) as usize] & (1 << (bit % 64)) != 0)
    }

    /// Whether it holds more keys than it was sized for.
    pub fn is_full(&self) -> bool {
        self.inserted > self.capacity
    }
}

/// The filter of the keys a store holds, or the keys stored while it is being filled.
pub enum StoredKeys {
    /// Being filled from the store; the keys stored meanwhile wait beside it.
    Filling {
        arriving: Receiver<KeyFilter>,
        meanwhile: Vec<i64>,
    },
    /// Ready: every stored key is in it.
    Ready(KeyFilter),
    /// It could not be filled (nothing to read from, a failed read): every key not in memory
    /// is probed.
    Unavailable,
}

/// Reads a store's keys into a filter sized for them (twice their number), on the filling
/// thread; on an error (logged), every key not in memory is looked up.
pub type Loader = Box<dyn FnOnce() -> Result<KeyFilter, String> + Send>;

impl StoredKeys {
    /// Starts filling a filter with `load`, on a thread of its own.
    pub fn fill(load: Loader) -> Self {
        let (send, arriving) = channel();
        let filling =
            std::thread::Builder::new()
                .name("key-filter".into())
                .spawn(move || match load() {
                    Ok(filter) => {
                        let _ = send.send(filter);
                    }
                    Err(e) => tracing::warn!(
                        error = %e,
                        "the filter of stored keys could not be filled; every new key is looked up"
                    ),
                });
        match filling {
            Ok(_) => Self::Filling {
                arriving,
                meanwhile: Vec::new(),
            },
            Err(_) => Self::Unavailable,
        }
    }

    /// Whether a key with this value hash may be stored (so must be looked up).
    pub fn may_contain(&mut self, value_hash: i64) -> bool {
        self.settle();
        match self {
            Self::Ready(filter) => filter.may_contain(value_hash),
            Self::Filling { .. } | Self::Unavailable => true,
        }
    }

    /// Records a key just stored; when this filter is full, fills a larger one with the
    /// loader `refill` gives (none: every key not in memory is looked up from then on).
    pub fn insert(&mut self, value_hash: i64, refill: impl FnOnce() -> Option<Loader>) {
        match self {
            Self::Ready(filter) => {
                filter.insert(value_hash);
                if filter.is_full() {
                    *self = refill().map_or(Self::Unavailable, Self::fill);
                }
            }
            Self::Filling { meanwhile, .. } => meanwhile.push(value_hash),
            Self::Unavailable => {}
        }
    }

    /// Takes the filter once it has arrived, with the keys stored meanwhile.
    fn settle(&mut self) {
        let Self::Filling {
            arriving,
            meanwhile,
        } = self
        else {
            return;
        };
        match arriving.try_recv() {
            Ok(mut filter) => {
                meanwhile.iter().for_each(|&h| filter.insert(h));
                *self = Self::Ready(filter);
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => *self = Self::Unavailable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_every_key_added_and_few_others() {
        let mut filter = KeyFilter::with_capacity(10_000);
        let hash = |i: i64| i.wrapping_mul(0x5851_f42d_4c95_7f2d) ^ (i << 17);
        (0..10_000).for_each(|i| filter.insert(hash(i)));
        assert!(
            (0..10_000).all(|i| filter.may_contain(hash(i))),
            "no false negative"
        );
        let false_positives = (10_000..110_000)
            .filter(|&i| filter.may_contain(hash(i)))
            .count();
        assert!(false_positives < 2_000, "{false_positives} of 100,000");
        assert!(!filter.is_full());
    }
}
