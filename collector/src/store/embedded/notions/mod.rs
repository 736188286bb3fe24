//! Case notions kept current beside the store: each key's steps (the events carrying it, in
//! time order) and running totals per key kind, so that the map of one case per payment, or
//! the object-centric map of every kind, answers from a few hundred rows whatever the history,
//! and a filtered one from the selected instances' keys instead of their events.
//!
//! They live in a database of their own ([`FILE`]), written by a thread that follows the
//! store's events by their sequence number: the writer of the events does no more work, and
//! nothing it waits for is shared. A read first follows what the thread has not yet, so it
//! answers for every event stored before it; a store opened with a long history not followed
//! yet is answered from the events until the thread has caught up. What retention deletes,
//! it lists in the store (`retired_keys`), and the thread takes out.

mod follow;
mod held;
pub(super) mod ids;
mod kept;
mod pipeline;
mod read;
mod scan;
mod suggest;
#[cfg(test)]
mod tests;

use super::state::TotalsTables;
use crate::store::notion::PickActivities;
use crate::store::trace_codec::Trace;
use crate::store::NotionQuery;
use crate::CollectorError;
pub use follow::attribute_hash;
use follow::Memory;
use miner::notion::ObjectCentric;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// File name of the notions' database inside the store directory.
pub const FILE: &str = "notions.db";

/// Version of the notions' layout: a database of another version is built again.
const LAYOUT: i64 = 4;

/// Events followed per transaction.
const PASS: usize = 20_000;

/// Events a read follows itself before answering; further behind, it is answered from the
/// events while the thread catches up.
const BEHIND_AT_MOST: i64 = 100_000;

/// How often the thread looks for new events.
const EVERY: Duration = Duration::from_millis(250);

/// The share of time spent writing from which the writer counts as busy.
const BUSY_FROM: f64 = 0.2;

/// The notions' tables. Their names differ from the store's, whose tables the same connection
/// reads without a schema name.
const TABLES: &str = "
    CREATE TABLE IF NOT EXISTS notion_progress (
        events INTEGER NOT NULL, retired INTEGER NOT NULL, rewound INTEGER NOT NULL,
        layout INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS notion_activities (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS notion_traces (
        key INTEGER PRIMARY KEY, kind TEXT NOT NULL, steps BLOB NOT NULL, firsts BLOB NOT NULL,
        attributes BLOB NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS notion_attribute_values (
        generation INTEGER NOT NULL, hash INTEGER NOT NULL, key INTEGER NOT NULL,
        PRIMARY KEY (generation, hash, key)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS notion_traces_by_first ON notion_traces(kind, first_ts);
    CREATE INDEX IF NOT EXISTS notion_traces_by_last ON notion_traces(kind, last_ts);
    CREATE TABLE IF NOT EXISTS notion_counts (
        kind TEXT NOT NULL, measure INTEGER NOT NULL, a INTEGER NOT NULL, b INTEGER NOT NULL,
        n INTEGER NOT NULL, PRIMARY KEY (kind, measure, a, b)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS notion_durations (
        kind TEXT NOT NULL, measure INTEGER NOT NULL, a INTEGER NOT NULL, b INTEGER NOT NULL,
        n INTEGER NOT NULL, total INTEGER NOT NULL,
        PRIMARY KEY (kind, measure, a, b)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS notion_buckets (
        kind TEXT NOT NULL, measure INTEGER NOT NULL, a INTEGER NOT NULL, b INTEGER NOT NULL,
        bucket INTEGER NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (kind, measure, a, b, bucket)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS notion_variants (
        kind TEXT NOT NULL, activities TEXT NOT NULL, n INTEGER NOT NULL,
        throughput INTEGER NOT NULL, PRIMARY KEY (kind, activities)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS notion_events (activity INTEGER PRIMARY KEY, n INTEGER NOT NULL);
";

/// The running totals of key kind `kind` (see the notions' tables).
fn notion_totals(kind: &str) -> TotalsTables<'_> {
    TotalsTables {
        prefix: "notion",
        part: Some(kind),
    }
}

/// One key's steps, and for each whether its event counts here in the union of every kind
/// (an event carrying several keys counts once, with the first of them); and the values of
/// the attributes of the events counted here, hashed (see [`attribute_hash`]).
#[derive(Debug, Clone, Default, PartialEq)]
struct KeyTrace {
    /// The key's row in the store's `keys`.
    row: i64,
    trace: Trace,
    firsts: Vec<bool>,
    /// Sorted, each once.
    attributes: Vec<i64>,
}

/// The connection to the notions' database (with the store's attached as `store`) and what
/// the follower keeps in memory.
struct Follower {
    conn: Connection,
    memory: Memory,
    /// The notions database's `data_version` when the memory was last trusted: it changes
    /// when another process (an `import` beside a `serve`) follows the same store.
    seen: Option<i64>,
}

/// The case notions of one store (see the module documentation).
pub struct Notions {
    follower: Arc<Mutex<Follower>>,
    /// Events a read follows itself ([`BEHIND_AT_MOST`]).
    behind_at_most: i64,
}

impl Notions {
    /// Opens (or creates) the notions beside the store database at `store_db`, in `dir`, and
    /// starts the thread that follows it whenever `writing` is not busy. A notions database
    /// that cannot be read is made again: everything in it comes from the store.
    pub fn open(
        dir: &Path,
        store_db: &Path,
        writing: Arc<WriterLoad>,
    ) -> Result<Self, CollectorError> {
        let path = dir.join(FILE);
        let conn = match connect(&path, store_db) {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "embedded store: the case notions are built again");
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                connect(&path, store_db)?
            }
        };
        let follower = Arc::new(Mutex::new(Follower {
            conn,
            memory: Memory::default(),
            seen: None,
        }));
        let weak = Arc::downgrade(&follower);
        std::thread::Builder::new()
            .name("notions".into())
            .spawn(move || follow_while_open(weak, writing))
            .map_err(|e| CollectorError::Internal(format!("starting the notions thread: {e}")))?;
        Ok(Self {
            follower,
            behind_at_most: BEHIND_AT_MOST,
        })
    }

    /// The statistics of `query`, once every event stored is followed; none when the
    /// notions are too far behind to catch up now (see [`BEHIND_AT_MOST`]). `judged` gives
    /// the store's conditions on `instances` for a status, read on the same connection.
    pub fn stats(
        &self,
        query: &NotionQuery,
        judged: impl FnOnce(&Connection) -> Result<(Vec<String>, Vec<SqlValue>), CollectorError>,
    ) -> Result<Option<ObjectCentric>, CollectorError> {
        self.answer(judged, |conn, judged| read::stats(conn, query, judged))
    }

    /// A map's statistics of `query` with every activity and with those `keep` picks (see
    /// [`Notions::stats`] for when there are none).
    pub fn stats_shown(
        &self,
        query: &NotionQuery,
        judged: impl FnOnce(&Connection) -> Result<(Vec<String>, Vec<SqlValue>), CollectorError>,
        keep: &PickActivities<'_>,
    ) -> Result<Option<(ObjectCentric, Option<ObjectCentric>)>, CollectorError> {
        self.answer(judged, |conn, judged| {
            read::stats_shown(conn, query, judged, keep)
        })
    }

    /// `read`'s answer in one transaction once every event stored is followed, given the
    /// conditions `judged` gives; none when the notions are too far behind to catch up now.
    fn answer<T>(
        &self,
        judged: impl FnOnce(&Connection) -> Result<(Vec<String>, Vec<SqlValue>), CollectorError>,
        read: impl FnOnce(&Connection, (Vec<String>, Vec<SqlValue>)) -> Result<T, CollectorError>,
    ) -> Result<Option<T>, CollectorError> {
        let mut follower = self.lock();
        let (followed, newest) = follower.followed()?;
        if newest - followed > self.behind_at_most {
            return Ok(None);
        }
        // The keys retired, then the events stored when asked: a busy writer is not chased
        // for ever.
        while follower.pass()? && follower.followed()?.0 < newest {}
        let conn = &follower.conn;
        let tx = conn.unchecked_transaction()?;
        let judged = judged(&tx)?;
        let answer = read(&tx, judged)?;
        tx.finish()?;
        Ok(Some(answer))
    }

    fn lock(&self) -> MutexGuard<'_, Follower> {
        self.follower
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for Notions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notions").finish_non_exhaustive()
    }
}

impl Follower {
    /// The sequence numbers of the last event followed and of the newest event stored.
    fn followed(&self) -> Result<(i64, i64), CollectorError> {
        followed_on(&self.conn)
    }

    /// Follows up to [`PASS`] events in one transaction; whether anything was done. On
    /// failure nothing of the pass is kept, in the database or in memory.
    fn pass(&mut self) -> Result<bool, CollectorError> {
        // Deferred: an immediate transaction would take the write lock of every database
        // attached, the store's too, and hold its writer back for the whole pass.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)?;
        let version: i64 = tx.query_row("PRAGMA main.data_version", [], |r| r.get(0))?;
        if self.seen != Some(version) {
            // Another process wrote: what memory holds may be stale.
            self.memory.clear();
            self.seen = Some(version);
        }
        match follow::pass(&tx, &mut self.memory, PASS) {
            Ok(changed) => {
                tx.commit()?;
                Ok(changed)
            }
            Err(e) => {
                drop(tx);
                self.memory.clear();
                Err(e)
            }
        }
    }

    /// Deletes the retired keys and rewinds already applied from the store's lists, if any.
    /// Best effort: it needs the store's write lock, and is tried again after the next pass.
    fn trim_retired(&self) {
        const APPLIED: [&str; 2] = [
            "FROM store.retired_keys WHERE id <= (SELECT retired FROM notion_progress)",
            "FROM store.sequence_rewinds WHERE id <= (SELECT rewound FROM notion_progress)",
        ];
        for applied in APPLIED {
            let trimmed = self
                .conn
                .query_row(&format!("SELECT EXISTS (SELECT 1 {applied})"), [], |r| {
                    r.get::<_, bool>(0)
                })
                .and_then(|any| match any {
                    true => self.conn.execute(&format!("DELETE {applied}"), []),
                    false => Ok(0),
                });
            if let Err(e) = trimmed {
                tracing::debug!(error = %e, "embedded store: the applied retirements stay listed for now");
            }
        }
    }
}

/// The thread's loop: every [`EVERY`], unless the writer was busy, follow what was stored,
/// one pass per hold of the lock so that reads get in between; stops when the store is closed.
fn follow_while_open(follower: Weak<Mutex<Follower>>, writing: Arc<WriterLoad>) {
    loop {
        std::thread::sleep(EVERY);
        let Some(follower) = follower.upgrade() else {
            return;
        };
        while !writing.busy() {
            let mut guard = follower
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match guard.pass() {
                Ok(true) => {}
                Ok(false) => {
                    guard.trim_retired();
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "embedded store: following the events for the case notions failed; trying again");
                    break;
                }
            }
        }
    }
}

/// How busy the store's writer is, measured by the time it spends writing.
///
/// The notions wait while it is busy: on two cores, following at the same time took a fifth
/// of the Kafka source's rate (and at the lowest thread priority more, since each pass then
/// held its snapshot of the store longer, which held the log's checkpoints back). A read
/// catches up what they left.
#[derive(Debug, Default)]
pub struct WriterLoad {
    /// Nanoseconds spent writing since the store opened.
    writing: AtomicU64,
    /// Writes under way.
    under_way: AtomicU64,
    /// The time spent writing at the last look, when that was, and the share of the time
    /// before it spent writing.
    last_look: Mutex<Option<(u64, Instant, f64)>>,
}

impl WriterLoad {
    /// Notes that a write starts.
    pub fn starts(&self) {
        self.under_way.fetch_add(1, Ordering::Relaxed);
    }

    /// Notes that a write that started `spent` ago is done.
    pub fn done(&self, spent: Duration) {
        let nanos = u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX);
        self.writing.fetch_add(nanos, Ordering::Relaxed);
        self.under_way.fetch_sub(1, Ordering::Relaxed);
    }

    /// Whether the writer is writing now, or spent more than [`BUSY_FROM`] of either of the
    /// last two intervals between looks writing (a long write is counted when it ends).
    fn busy(&self) -> bool {
        let mut last = self
            .last_look
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        let writing = self.writing.load(Ordering::Relaxed);
        let (before, at, previous) = last.unwrap_or((writing, now, 0.0));
        let elapsed = now.duration_since(at).as_secs_f64().max(1e-9);
        let share = writing.saturating_sub(before) as f64 / 1e9 / elapsed;
        *last = Some((writing, now, share));
        self.under_way.load(Ordering::Relaxed) > 0 || share.max(previous) > BUSY_FROM
    }
}

/// The sequence numbers of the last event the notions followed and of the newest event
/// stored, read on `conn`: the follower's connection, or a store connection with the notions
/// attached (the table names are not qualified, so they resolve on either).
pub fn followed_on(conn: &Connection) -> Result<(i64, i64), CollectorError> {
    Ok(conn.query_row(
        "SELECT events, COALESCE((SELECT MAX(seq) FROM events), 0) FROM notion_progress",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Up to `limit` attribute values the filter bar suggests (see [`suggest::read`]), read on
/// `conn` (a store connection with the notions attached) as far as the thread has followed,
/// without waiting for it: suggestions need not hold the newest events. None when it has
/// followed nothing yet or is too far behind (see [`BEHIND_AT_MOST`]).
pub fn suggestions(conn: &Connection, limit: usize) -> Result<Option<Vec<String>>, CollectorError> {
    let (followed, newest) = followed_on(conn)?;
    if followed == 0 || newest - followed > BEHIND_AT_MOST {
        return Ok(None);
    }
    suggest::read(conn, limit).map(Some)
}

/// Opens the notions' database at `path` with the store's attached, creating its tables; a
/// database of another layout is emptied.
fn connect(path: &Path, store_db: &Path) -> Result<Connection, CollectorError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // Everything here can be made again from the store: a crash may lose the latest passes,
    // which are followed again, but leaves the database whole.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -(16 << 10))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute("ATTACH DATABASE ?1 AS store", [store_db.to_string_lossy()])?;
    conn.execute_batch(TABLES)?;
    conn.execute_batch(suggest::TABLES)?;
    let layout: Option<i64> = conn
        .query_row("SELECT layout FROM notion_progress", [], |r| r.get(0))
        .ok();
    if layout != Some(LAYOUT) {
        let dropped: String = [
            "notion_progress",
            "notion_activities",
            "notion_traces",
            "notion_attribute_values",
            "notion_counts",
            "notion_durations",
            "notion_buckets",
            "notion_variants",
            "notion_events",
            "notion_suggested_names",
            "notion_suggested_values",
        ]
        .iter()
        .map(|table| format!("DROP TABLE IF EXISTS {table};"))
        .collect();
        let suggested = suggest::TABLES;
        conn.execute_batch(&format!(
            "BEGIN; {dropped} {TABLES}
             {suggested}
             INSERT INTO notion_progress (events, retired, rewound, layout)
                 VALUES (0, 0, 0, {LAYOUT});
             COMMIT;"
        ))?;
    }
    Ok(conn)
}
