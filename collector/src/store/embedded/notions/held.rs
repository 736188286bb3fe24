//! The keys a filter selects, held in memory as they were read: a map with the activity
//! slider on needs their statistics twice (with every activity, to rank them, then with the
//! kept ones), and building the second from memory spares reading them again. Within a
//! budget: beyond it they are read again.

use super::pipeline::{Batch, KeySink};
use super::KeyTrace;
use crate::CollectorError;

/// Memory the keys held may take at most: the selection of half of a million events' orders,
/// with every kind of key, takes about 30 MB. Reads of the notions take turns, so this is the
/// most held at any time.
pub const HOLD_AT_MOST: usize = if cfg!(test) { 4 << 10 } else { 64 << 20 };

/// Keys held in memory (see the module documentation).
pub struct Held {
    batches: Vec<Batch>,
}

impl Held {
    /// Holds the keys of `batches`.
    pub fn new(batches: Vec<Batch>) -> Self {
        Self { batches }
    }

    /// Gives the keys held to sinks `make` makes, the batches shared between two threads;
    /// returns the sinks.
    pub fn give<S: KeySink>(&self, make: impl Fn() -> S) -> Result<[S; 2], CollectorError> {
        let half = |first: usize, mut sink: S| -> Result<S, CollectorError> {
            let mut decoded = KeyTrace::default();
            for batch in self.batches.iter().skip(first).step_by(2) {
                batch.give(&mut sink, &mut decoded)?;
            }
            Ok(sink)
        };
        let (a, b) = (make(), make());
        std::thread::scope(|threads| {
            let other = threads.spawn(|| half(1, b));
            let a = half(0, a)?;
            let b = other.join().map_err(|_| {
                CollectorError::Internal("a notions' building thread panicked".into())
            })??;
            Ok([a, b])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::pipeline::{self, KeySink};
    use super::*;
    use crate::store::trace_codec::Trace;
    use miner::log::Lifecycle;
    use rusqlite::{params, Connection};

    /// The rows of the keys taken.
    #[derive(Default)]
    struct Rows(Vec<i64>);

    impl KeySink for Rows {
        fn add(&mut self, _: &[u8], key: &KeyTrace) -> Result<(), CollectorError> {
            self.0.push(key.row);
            Ok(())
        }
    }

    /// Reads `keys` keys of one step each through a pipeline holding them.
    fn read_holding(keys: i64) -> (Vec<i64>, Option<Held>) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (kind TEXT, steps BLOB, firsts BLOB, key INTEGER)")
            .unwrap();
        for key in 1..=keys {
            let mut trace = Trace::default();
            trace.push(1, key, Lifecycle::Complete, None);
            let [steps, firsts, _] = KeyTrace {
                row: key,
                trace,
                firsts: vec![true],
                attributes: Vec::new(),
            }
            .encode();
            conn.execute(
                "INSERT INTO t VALUES ('order', ?1, ?2, ?3)",
                params![steps, firsts, key],
            )
            .unwrap();
        }
        let (rows, held) = pipeline::run_holding(Rows::default(), true, |feed| {
            let mut stmt = conn.prepare("SELECT kind, steps, firsts, key FROM t")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                feed.add(row)?;
            }
            Ok(())
        })
        .unwrap();
        (rows.0, held)
    }

    #[test]
    fn gives_again_every_key_read_on_two_threads() {
        let (read, held) = read_holding(50);
        assert_eq!(read.len(), 50);
        let [a, b] = held
            .expect("50 keys are within the budget")
            .give(Rows::default)
            .unwrap();
        assert!(
            !a.0.is_empty() && !b.0.is_empty(),
            "each thread builds a share"
        );
        let mut again: Vec<i64> = a.0.into_iter().chain(b.0).collect();
        again.sort_unstable();
        assert_eq!(again, (1..=50).collect::<Vec<_>>());
    }

    #[test]
    fn holds_nothing_beyond_the_budget() {
        let (read, held) = read_holding(1_000);
        assert_eq!(read.len(), 1_000, "every key is still built");
        assert!(held.is_none());
    }
}
