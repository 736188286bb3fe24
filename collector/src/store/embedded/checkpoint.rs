//! Checkpoints of the write-ahead log, beside the writer instead of in its way.
//!
//! By default SQLite copies the log back into the database inside the commit that makes it
//! long enough, so ingest stops for the whole copy (a tenth of the writer's time when the
//! Kafka source is busiest). Here a thread with a connection of its own makes a passive
//! checkpoint, which waits for no one, once the log is [`BESIDE_FROM`] pages
//! long, while the writer goes on. Should the log still reach [`INLINE_FROM`]
//! pages (the writer outran the copy, or the copy cannot start), the writer copies what is
//! left itself before it goes on, as SQLite would: the log stays bounded either way.

use crate::CollectorError;
use rusqlite::hooks::Wal;
use rusqlite::Connection;
use std::cell::Cell;
use std::ffi::c_int;
use std::path::Path;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};

/// Log length, in pages, from which the log is copied beside the writer.
const BESIDE_FROM: i32 = 16_384;
/// Log length from which the writer copies it itself; also where SQLite checkpoints on its
/// own when no thread copies the log.
pub(super) const INLINE_FROM: i32 = 65_536;

thread_local! {
    /// Pages in the log after the latest commit made on this thread, as SQLite reports them.
    static LOG_PAGES: Cell<i32> = const { Cell::new(0) };
}

fn note_log_pages(_: &Wal, pages: c_int) -> rusqlite::Result<()> {
    LOG_PAGES.with(|p| p.set(pages));
    Ok(())
}

/// Runs the checkpoints of one store's log (see the module documentation).
#[derive(Debug)]
pub struct Checkpoints {
    /// Wakes the copying thread; none when it could not be started.
    wake: Option<SyncSender<()>>,
    beside_from: i32,
    inline_from: i32,
}

impl Checkpoints {
    /// Takes the checkpoints of `writer`'s log over (SQLite's own stop) and starts the
    /// copying thread on a connection of its own to the database at `path`. When the thread
    /// cannot start, SQLite goes on checkpointing in the writer.
    pub fn start(writer: &Connection, path: &Path) -> Result<Self, CollectorError> {
        Self::start_with(writer, path, BESIDE_FROM, INLINE_FROM)
    }

    fn start_with(
        writer: &Connection,
        path: &Path,
        beside_from: i32,
        inline_from: i32,
    ) -> Result<Self, CollectorError> {
        let copier = Connection::open(path)?;
        let (wake, woken) = sync_channel::<()>(1);
        let started = std::thread::Builder::new()
            .name("checkpoint".into())
            .spawn(move || {
                for () in woken {
                    if let Err(e) = checkpoint(&copier) {
                        tracing::warn!(error = %e, "embedded store: copying the log into the database failed; the writer will copy it");
                    }
                }
            });
        let wake = match started {
            Ok(_) => {
                writer.wal_hook(Some(note_log_pages));
                Some(wake)
            }
            Err(e) => {
                tracing::warn!(error = %e, "embedded store: no thread to copy the log; the writer copies it");
                None
            }
        };
        Ok(Self {
            wake,
            beside_from,
            inline_from,
        })
    }

    /// After a write on this thread: starts a copy beside the writer, or makes one on
    /// `writer`, as the log's length asks. The write itself is durable whatever happens here,
    /// so a failed copy is only logged (the next write tries again).
    pub fn after_write(&self, writer: &Connection) {
        let Some(wake) = &self.wake else { return };
        let pages = LOG_PAGES.with(|p| p.replace(0));
        if pages >= self.inline_from {
            if let Err(e) = checkpoint(writer) {
                tracing::warn!(error = %e, pages, "embedded store: copying the log into the database failed");
            }
        } else if pages >= self.beside_from {
            match wake.try_send(()) {
                Ok(()) | Err(TrySendError::Full(())) => {}
                Err(TrySendError::Disconnected(())) => {
                    tracing::warn!("embedded store: the log copying thread stopped")
                }
            }
        }
    }
}

/// Copies as much of the log into the database as no reader still needs.
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    const PAGE: u64 = 4096;

    fn database(dir: &Path) -> (Connection, std::path::PathBuf) {
        let path = dir.join("db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch("CREATE TABLE t (x BLOB)").unwrap();
        (conn, path)
    }

    /// Commits `pages` pages of rows in one transaction.
    fn write(conn: &Connection, pages: usize) {
        conn.execute_batch("BEGIN").unwrap();
        for _ in 0..pages {
            conn.execute("INSERT INTO t VALUES (randomblob(3900))", [])
                .unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
    }

    fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }

    #[test]
    fn a_long_log_is_copied_beside_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let (conn, path) = database(dir.path());
        let checkpoints = Checkpoints::start_with(&conn, &path, 16, 1_000).unwrap();
        let created = size(&path);
        write(&conn, 4);
        checkpoints.after_write(&conn);
        std::thread::sleep(Duration::from_millis(200));
        let before = size(&path);
        write(&conn, 32);
        checkpoints.after_write(&conn);
        let deadline = Instant::now() + Duration::from_secs(10);
        while size(&path) < before + 32 * PAGE {
            assert!(Instant::now() < deadline, "the log was never copied");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(before, created, "a short log is left alone");
    }

    #[test]
    fn the_log_stays_bounded_when_the_copy_lags() {
        let dir = tempfile::tempdir().unwrap();
        let (conn, path) = database(dir.path());
        // The thread never copies: only the writer does, at 64 pages.
        let checkpoints = Checkpoints::start_with(&conn, &path, i32::MAX, 64).unwrap();
        let log = dir.path().join("db-wal");
        for _ in 0..100 {
            write(&conn, 10);
            checkpoints.after_write(&conn);
            assert!(
                size(&log) <= (64 + 2 * 12) * (PAGE + 24) + 32,
                "log of {} bytes",
                size(&log)
            );
        }
        assert!(size(&path) >= 900 * PAGE, "everything reached the database");
    }
}
