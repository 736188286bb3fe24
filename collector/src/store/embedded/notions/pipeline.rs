//! Reading keys' steps on one thread while another builds the statistics from them: a scan
//! over most keys spends about half its time in each, so on two cores it takes less time (the
//! slider over every kind at a million events went from 285–295 to 190–240 ms).

use super::KeyTrace;
use crate::store::embedded::state::corrupt;
use crate::CollectorError;
use std::ops::Range;
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};

/// Keys handed over at a time (few in tests, so that their scans hand over many batches).
const BATCH: usize = if cfg!(test) { 16 } else { 4096 };

/// Batches on their way to the building thread at most: the reader stays a little ahead.
const IN_FLIGHT: usize = 4;

/// What takes the keys a scan reads: statistics being built, or totals keys are taken out of.
pub trait KeySink: Send {
    /// Takes one key of kind `kind`.
    fn add(&mut self, kind: &str, key: &KeyTrace) -> Result<(), CollectorError>;
}

/// Keys' rows copied out of SQLite.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    rows: Vec<CopiedKey>,
}

/// One key's row in a [`Batch`]: its kind, steps and marks as ranges of the batch's bytes.
struct CopiedKey {
    kind: Range<usize>,
    row: i64,
    steps: Range<usize>,
    firsts: Range<usize>,
}

impl Batch {
    /// Copies `part` in, returning where it lies.
    fn put(&mut self, part: &[u8]) -> Range<usize> {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(part);
        at..self.bytes.len()
    }
}

/// The reading side: takes rows of `kind, steps, firsts, key` and hands them over in batches.
pub struct Feed {
    batch: Batch,
    full: SyncSender<Batch>,
    /// Batches the building thread is done with, to be filled again.
    empty: Receiver<Batch>,
}

impl Feed {
    /// Adds one key from a row of `kind, steps, firsts, key`.
    pub fn add(&mut self, row: &rusqlite::Row<'_>) -> Result<(), CollectorError> {
        let kind = row.get_ref(0)?.as_str().map_err(corrupt)?;
        let steps = row.get_ref(1)?.as_blob().map_err(corrupt)?;
        let firsts = row.get_ref(2)?.as_blob().map_err(corrupt)?;
        let key: i64 = row.get(3)?;
        let batch = &mut self.batch;
        let copied = CopiedKey {
            kind: batch.put(kind.as_bytes()),
            row: key,
            steps: batch.put(steps),
            firsts: batch.put(firsts),
        };
        batch.rows.push(copied);
        if batch.rows.len() >= BATCH {
            self.hand_over()?;
        }
        Ok(())
    }

    /// Hands the batch being filled over to the building thread.
    fn hand_over(&mut self) -> Result<(), CollectorError> {
        let mut next = self.empty.try_recv().unwrap_or_default();
        next.bytes.clear();
        next.rows.clear();
        let full = std::mem::replace(&mut self.batch, next);
        self.full
            .send(full)
            .map_err(|_| CollectorError::Internal("the notions' building thread stopped".into()))
    }
}

/// Runs `read`, which feeds keys, on this thread while `sink` takes them on another; returns
/// the sink once it took every key fed.
pub fn run<S: KeySink>(
    sink: S,
    read: impl FnOnce(&mut Feed) -> Result<(), CollectorError>,
) -> Result<S, CollectorError> {
    let (full, batches) = sync_channel::<Batch>(IN_FLIGHT);
    let (done, empty) = channel::<Batch>();
    std::thread::scope(|threads| {
        let building = threads.spawn(move || -> Result<S, CollectorError> {
            let mut sink = sink;
            let mut decoded = KeyTrace::default();
            for batch in batches {
                for key in &batch.rows {
                    let kind = std::str::from_utf8(&batch.bytes[key.kind.clone()])
                        .map_err(|_| CollectorError::Corrupt("a key's kind is not text".into()))?;
                    let steps = &batch.bytes[key.steps.clone()];
                    let firsts = &batch.bytes[key.firsts.clone()];
                    decoded.decode_into(key.row, [steps, firsts, &[]])?;
                    sink.add(kind, &decoded)?;
                }
                // The reader may have finished: then nobody takes the batch back.
                let _ = done.send(batch);
            }
            Ok(sink)
        });
        let mut feed = Feed {
            batch: Batch::default(),
            full,
            empty,
        };
        let read = read(&mut feed).and_then(|()| feed.hand_over());
        drop(feed);
        // The building thread's failure first: it is why a reader's hand-over failed.
        let sink = building.join().map_err(|_| {
            CollectorError::Internal("the notions' building thread panicked".into())
        })??;
        read.map(|()| sink)
    })
}
