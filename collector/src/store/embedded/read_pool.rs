//! A few read-only connections to the store's database, lent out one per query, so reads run
//! in parallel (one per core) instead of queueing behind one connection.

use crate::CollectorError;
use rusqlite::Connection;
use std::ops::Deref;
use std::path::Path;
use std::sync::{Condvar, Mutex};

/// Read connections waiting to be lent.
pub struct ReadPool {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
}

/// A connection lent by the pool; it goes back when dropped.
pub struct Lent<'a> {
    pool: &'a ReadPool,
    conn: Option<Connection>,
}

impl Deref for Lent<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("lent until dropped")
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.lock().push(conn);
            self.pool.returned.notify_one();
        }
    }
}

impl ReadPool {
    /// One query-only connection to `path` per available core (at least two, at most eight),
    /// with the database at `attached` attached as `notions`.
    pub fn open(path: &Path, attached: &Path) -> Result<Self, CollectorError> {
        let size = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
        let mut idle = Vec::with_capacity(size);
        for _ in 0..size {
            let conn = Connection::open(path)?;
            conn.execute(
                "ATTACH DATABASE ?1 AS notions",
                [attached.to_string_lossy()],
            )?;
            conn.pragma_update(None, "query_only", true)?;
            idle.push(conn);
        }
        Ok(Self {
            idle: Mutex::new(idle),
            returned: Condvar::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A connection, waiting for one to come back when all are lent.
    pub fn take(&self) -> Result<Lent<'_>, CollectorError> {
        let mut idle = self.lock();
        loop {
            if let Some(conn) = idle.pop() {
                return Ok(Lent {
                    pool: self,
                    conn: Some(conn),
                });
            }
            idle = self
                .returned
                .wait(idle)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_lent_in_parallel_and_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t(x)")
            .unwrap();
        let pool = ReadPool::open(&path, &dir.path().join("attached")).unwrap();
        let first = pool.take().unwrap();
        let second = pool.take().unwrap();
        assert_eq!(
            first
                .query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            0
        );
        assert!(
            second.execute("INSERT INTO t VALUES (1)", []).is_err(),
            "query only"
        );
        drop((first, second));
        let waiting = std::thread::scope(|s| {
            let size = pool.lock().len();
            let lent: Vec<_> = (0..size).map(|_| pool.take().unwrap()).collect();
            let waiter = s.spawn(|| pool.take().map(|_| ()).is_ok());
            std::thread::sleep(std::time::Duration::from_millis(50));
            drop(lent);
            waiter.join().unwrap()
        });
        assert!(waiting, "a reader waits for a connection to come back");
    }
}
