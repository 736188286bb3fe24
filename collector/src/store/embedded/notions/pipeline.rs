//! Reading keys' steps on one thread while another builds the statistics from them: a scan
//! over most keys spends about half its time in each, so on two cores it takes less time (the
//! slider over every kind at a million events went from 285–295 to 190–240 ms).

use super::held::{Held, HOLD_AT_MOST};
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
    /// Takes one key of kind `kind` (its name as stored: a sink checks that a kind is text
    /// once, when it first meets it, rather than once per key).
    fn add(&mut self, kind: &[u8], key: &KeyTrace) -> Result<(), CollectorError>;
}

/// Keys' rows copied out of SQLite.
#[derive(Default)]
pub struct Batch {
    bytes: Vec<u8>,
    rows: Vec<CopiedKey>,
}

/// One key's row in a [`Batch`]: its kind, steps and marks as ranges of the batch's bytes
/// (of 32 bits: a batch is small, and keys held in memory take less room).
struct CopiedKey {
    kind: Range<u32>,
    row: i64,
    steps: Range<u32>,
    firsts: Range<u32>,
}

impl Batch {
    /// Copies the key in a row of `kind, steps, firsts, key` in.
    pub fn put_row(&mut self, row: &rusqlite::Row<'_>) -> Result<(), CollectorError> {
        let kind = row.get_ref(0)?.as_bytes().map_err(corrupt)?;
        let steps = row.get_ref(1)?.as_blob().map_err(corrupt)?;
        let firsts = row.get_ref(2)?.as_blob().map_err(corrupt)?;
        let copied = CopiedKey {
            kind: self.put(kind)?,
            row: row.get(3)?,
            steps: self.put(steps)?,
            firsts: self.put(firsts)?,
        };
        self.rows.push(copied);
        Ok(())
    }

    /// Copies `part` in, returning where it lies.
    fn put(&mut self, part: &[u8]) -> Result<Range<u32>, CollectorError> {
        let at = |len: usize| {
            u32::try_from(len)
                .map_err(|_| CollectorError::Internal("a batch of keys over 4 GiB".into()))
        };
        let start = at(self.bytes.len())?;
        self.bytes.extend_from_slice(part);
        Ok(start..at(self.bytes.len())?)
    }

    /// How many keys the batch holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// The memory the batch's keys take.
    pub fn size(&self) -> usize {
        self.bytes.len() + self.rows.len() * std::mem::size_of::<CopiedKey>()
    }

    /// Gives every key of the batch to `sink`, decoded into `decoded`.
    pub fn give<S: KeySink>(
        &self,
        sink: &mut S,
        decoded: &mut KeyTrace,
    ) -> Result<(), CollectorError> {
        let part = |range: &Range<u32>| &self.bytes[range.start as usize..range.end as usize];
        for key in &self.rows {
            decoded.decode_into(key.row, [part(&key.steps), part(&key.firsts), &[]])?;
            sink.add(part(&key.kind), decoded)?;
        }
        Ok(())
    }

    /// Empties the batch, keeping its memory.
    fn clear(&mut self) {
        self.bytes.clear();
        self.rows.clear();
    }
}

/// The reading side: takes rows of `kind, steps, firsts, key` and hands them over in batches.
pub struct Feed {
    batch: Batch,
    full: SyncSender<Batch>,
    /// Batches the building thread is done with, to be filled again unless held.
    empty: Receiver<Batch>,
    /// The memory the batches handed over take, while they are held.
    holding: Option<usize>,
}

impl Feed {
    /// Adds one key from a row of `kind, steps, firsts, key`.
    pub fn add(&mut self, row: &rusqlite::Row<'_>) -> Result<(), CollectorError> {
        self.batch.put_row(row)?;
        if self.batch.len() >= BATCH {
            self.hand_over()?;
        }
        Ok(())
    }

    /// Hands the batch being filled over to the building thread; while holding, within
    /// [`HOLD_AT_MOST`], the batches are not filled again.
    fn hand_over(&mut self) -> Result<(), CollectorError> {
        if let Some(size) = &mut self.holding {
            *size += self.batch.size();
            if *size > HOLD_AT_MOST {
                self.holding = None;
            }
        }
        let mut next = match self.holding {
            Some(_) => Batch::default(),
            None => self.empty.try_recv().unwrap_or_default(),
        };
        next.clear();
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
    Ok(run_holding(sink, false, read)?.0)
}

/// [`run`], and when `hold` the keys fed, held in memory unless they take more than
/// [`HOLD_AT_MOST`].
pub fn run_holding<S: KeySink>(
    sink: S,
    hold: bool,
    read: impl FnOnce(&mut Feed) -> Result<(), CollectorError>,
) -> Result<(S, Option<Held>), CollectorError> {
    let (full, batches) = sync_channel::<Batch>(IN_FLIGHT);
    let (done, empty) = channel::<Batch>();
    std::thread::scope(|threads| {
        let building = threads.spawn(move || -> Result<S, CollectorError> {
            let mut sink = sink;
            let mut decoded = KeyTrace::default();
            for batch in batches {
                batch.give(&mut sink, &mut decoded)?;
                // The reader may have finished: then nobody takes the batch back.
                let _ = done.send(batch);
            }
            Ok(sink)
        });
        let mut feed = Feed {
            batch: Batch::default(),
            full,
            empty,
            holding: hold.then_some(0),
        };
        let read = read(&mut feed).and_then(|()| feed.hand_over());
        let Feed {
            full,
            empty,
            holding,
            ..
        } = feed;
        drop(full);
        // The building thread's failure first: it is why a reader's hand-over failed.
        let sink = building.join().map_err(|_| {
            CollectorError::Internal("the notions' building thread panicked".into())
        })??;
        read?;
        let held = holding.map(|_| Held::new(empty.into_iter().collect()));
        Ok((sink, held))
    })
}
