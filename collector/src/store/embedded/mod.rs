//! The embedded store: SQLite in WAL mode in one directory, zero set-up, durable on return.
//!
//! One writer connection (behind a mutex, together with the in-memory key graph it keeps in
//! step with the `keys` table) and a pool of reader connections, so pages render in parallel
//! with each other and while a batch is written (WAL lets readers and the writer overlap).

mod checkpoint;
#[cfg(test)]
mod eviction_tests;
mod known_ids;
mod live;
mod notions;
mod read;
mod read_pool;
mod retention;
mod schema;
mod state;
mod status;
mod store_write;
mod summaries;
mod write;

use crate::config::InstanceRules;
use crate::CollectorError;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// File name of the database inside the store directory.
const DB_FILE: &str = "flowsight.db";

/// A store in a local directory.
pub struct EmbeddedStore {
    dir: PathBuf,
    writer: Mutex<write::Writer>,
    readers: read_pool::ReadPool,
    rules: InstanceRules,
    /// How long an instance may stay at each step, learned again now and then.
    limits: crate::store::wait_limits::LimitsCache,
    /// The latest write failed.
    write_failed: std::sync::atomic::AtomicBool,
    /// Each key's steps, the totals per key kind and the index of attribute values.
    notions: notions::Notions,
    /// How busy the writer is, for the notions to follow when it is not.
    writing: std::sync::Arc<notions::WriterLoad>,
}

impl EmbeddedStore {
    /// The configuration text saved with the store in `dir`, read without opening it for
    /// writing; none when there is no store there.
    pub fn saved_rules_at(dir: &Path) -> Result<Option<String>, CollectorError> {
        if !Self::exists(dir) {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(
            dir.join(DB_FILE),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        read::saved_rules(&conn)
    }

    /// Whether an embedded store was created in `dir`.
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_FILE).is_file()
    }

    /// Opens (or creates) the store in `dir`; `rules` say how instances are labelled and judged.
    pub fn open(dir: &Path, rules: InstanceRules) -> Result<Self, CollectorError> {
        std::fs::create_dir_all(dir).map_err(|source| CollectorError::StoreDir {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let mut conn = Connection::open(&path)?;
        schema::prepare(&conn)?;
        state::ensure(&mut conn)?;
        let writer = write::Writer::open(conn, &path, rules.clone())?;
        let writing = std::sync::Arc::new(notions::WriterLoad::default());
        let notions = notions::Notions::open(dir, &path, writing.clone())?;
        let readers = read_pool::ReadPool::open(&path, &dir.join(notions::FILE))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            writer: Mutex::new(writer),
            readers,
            limits: crate::store::wait_limits::LimitsCache::new(&rules),
            rules,
            write_failed: Default::default(),
            notions,
            writing,
        })
    }

    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut write::Writer) -> Result<T, CollectorError>,
    ) -> Result<T, CollectorError> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| CollectorError::Internal("writer lock poisoned".into()))?;
        let started = std::time::Instant::now();
        self.writing.starts();
        let result = f(&mut writer);
        writer.after_write();
        self.writing.done(started.elapsed());
        self.write_failed
            .store(result.is_err(), std::sync::atomic::Ordering::Relaxed);
        result
    }

    fn with_reader<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, CollectorError>,
    ) -> Result<T, CollectorError> {
        let conn = self.readers.take()?;
        f(&conn)
    }
}

#[cfg(test)]
impl EmbeddedStore {
    /// Runs raw SQL on the writer's connection, to simulate failures in tests.
    pub(crate) fn execute_for_test(&self, sql: &str) {
        self.writer.lock().unwrap().execute_for_test(sql);
    }
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("dir", &self.dir)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::contract::{self, keyed_event};
    use crate::store::{StoreRead, StoreWrite};

    contract::contract_tests!(check => {
        let dirs = std::cell::RefCell::new(Vec::new());
        check(&|config| {
            let dir = tempfile::tempdir().unwrap();
            let store = EmbeddedStore::open(dir.path(), config.instances.clone()).unwrap();
            dirs.borrow_mut().push(dir);
            Box::new(store)
        });
    });

    #[test]
    fn migrates_a_version_1_store_in_place() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
            conn.execute_batch(
                "CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, instance INTEGER,
                   activity TEXT NOT NULL, ts INTEGER NOT NULL, source TEXT NOT NULL, trace_id TEXT, span_id TEXT,
                   keys TEXT NOT NULL, attributes TEXT NOT NULL);
                 CREATE INDEX events_by_instance ON events(instance, ts, seq, activity);
                 CREATE TABLE instances (id INTEGER PRIMARY KEY, label TEXT NOT NULL, events INTEGER NOT NULL,
                   first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, last_activity TEXT NOT NULL);
                 INSERT INTO events VALUES (1, 'a', 1, 'Fix', 0, 's', NULL, NULL, '[]', '{\"lifecycle:transition\":\"start\"}');
                 INSERT INTO events VALUES (2, 'b', 1, 'Fix', 60, 's', NULL, NULL, '[]', '{\"lifecycle:transition\":\"complete\"}');
                 INSERT INTO instances VALUES (1, 'case=1', 2, 0, 60, 'Fix');
                 CREATE TABLE keys (kind TEXT NOT NULL, value TEXT NOT NULL, instance INTEGER NOT NULL,
                   PRIMARY KEY (kind, value)) WITHOUT ROWID;
                 INSERT INTO keys VALUES ('case', '1', 1);
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let store = EmbeddedStore::open(dir.path(), InstanceRules::default()).unwrap();
        let stats = store.process_stats(&Default::default()).unwrap();
        assert_eq!(
            stats.activities[0].service.total, 60,
            "lifecycle backfilled from attributes"
        );
        let again = EmbeddedStore::open(dir.path(), InstanceRules::default()).unwrap();
        assert_eq!(
            again.overview().unwrap().events,
            2,
            "opening twice migrates once"
        );
        let report = again
            .append(&[
                keyed_event("a", 0, &[("case", "1")]),
                keyed_event("c", 90, &[("case", "1")]),
            ])
            .unwrap();
        assert_eq!(
            (report.duplicates, report.inserted),
            (1, 1),
            "ids stored before the migration are still known"
        );
        assert_eq!(again.overview().unwrap().events, 3);
    }

    /// A store holding one event of order `order`, then changed by `sql` as an older version
    /// would have left it, and opened again.
    fn reopened_after(order: &str, sql: &str) -> (tempfile::TempDir, EmbeddedStore) {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = EmbeddedStore::open(dir.path(), InstanceRules::default()).unwrap();
            store
                .append(&[keyed_event("a", 1, &[("order", order)])])
                .unwrap();
        }
        rusqlite::Connection::open(dir.path().join(DB_FILE))
            .unwrap()
            .execute_batch(sql)
            .unwrap();
        let store = EmbeddedStore::open(dir.path(), InstanceRules::default()).unwrap();
        (dir, store)
    }

    #[test]
    fn counts_the_events_again_after_an_older_version_wrote() {
        // A version 6 collector stores an event and knows nothing of the count.
        let (_dir, store) = reopened_after(
            "1",
            "INSERT INTO events (id, id_hash, instance, activity, ts, source, keys, attributes)
               VALUES ('b', 0, 1, 'Paid', 2, 's', '[]', '{}');
             PRAGMA user_version = 6;",
        );
        assert_eq!(store.overview().unwrap().events, 2);
    }

    #[test]
    fn the_header_reads_only_the_instances_active_lately() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path(), InstanceRules::default()).unwrap();
        let sql = status::running_by_step(2, "CASE last_activity WHEN ? THEN ? ELSE ? END");
        let plan: Vec<String> = store
            .with_reader(|conn| {
                let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                let rows = explain.query_map(rusqlite::params_from_iter([0_i64; 6]), |r| {
                    r.get::<_, String>(3)
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .unwrap();
        assert!(
            plan[0].starts_with("SEARCH instances USING INDEX instances_by_last (last_ts>?)"),
            "{plan:?}"
        );
    }

    #[test]
    fn indexes_the_keys_of_a_version_8_store_by_generation() {
        let (dir, store) = reopened_after(
            "8",
            "DROP INDEX keys_by_generation;
             CREATE INDEX keys_by_value ON keys(value_hash);
             PRAGMA user_version = 8;",
        );
        let indexes: Vec<String> = rusqlite::Connection::open(dir.path().join(DB_FILE))
            .unwrap()
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'keys' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(indexes, ["keys_by_generation", "keys_by_instance"]);
        let found = store
            .instances(&crate::store::InstanceQuery {
                search: Some("order=8".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(found.total, 1, "search by key after the migration");
    }

    #[test]
    fn migrates_older_keys_tables_to_hashed_values() {
        let (_dir, store) = reopened_after(
            "7",
            "CREATE TABLE old_keys (kind TEXT NOT NULL, value TEXT NOT NULL, instance INTEGER NOT NULL,
                                    PRIMARY KEY (kind, value)) WITHOUT ROWID;
             INSERT INTO old_keys SELECT kind, value, instance FROM keys;
             DROP TABLE keys;
             ALTER TABLE old_keys RENAME TO keys;
             CREATE INDEX keys_by_value ON keys(value);
             CREATE INDEX keys_by_instance ON keys(instance);
             PRAGMA user_version = 4;",
        );
        let found = store
            .instances(&crate::store::InstanceQuery {
                search: Some("7".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(found.total, 1, "search by value after the migration");
        let report = store
            .append(&[keyed_event("b", 2, &[("order", "7")])])
            .unwrap();
        assert_eq!(
            (report.inserted, report.merges),
            (1, 0),
            "the key graph came through"
        );
        assert_eq!(store.overview().unwrap().instances, 1);
    }

    #[test]
    fn summaries_kept_batch_by_batch_equal_those_recomputed_from_the_events() {
        // Events out of time order, ties, late links that merge instances and trace-only
        // instances that a business key joins later: every way a summary row changes.
        let mut events = Vec::new();
        for i in 0..60_i64 {
            let order = (i % 7).to_string();
            let t = (i * 37) % 50;
            let trace = format!("t{}-{}", i % 7, i % 3);
            let pick = format!("p{}", i % 7);
            let keys = match i % 5 {
                0 => vec![("trace", trace.as_str())],
                1 => vec![("pick", pick.as_str()), ("order", order.as_str())],
                4 if i < 20 => vec![("pick", pick.as_str())],
                _ => vec![("order", order.as_str()), ("trace", trace.as_str())],
            };
            events.push(keyed_event(&format!("e{i}"), t, &keys));
        }
        for tie in ["x", "y", "z"] {
            events.push(keyed_event(tie, 100, &[("order", "0")]));
        }
        let query = crate::store::InstanceQuery {
            limit: 1000,
            ..Default::default()
        };
        // The rows kept while appending in batches of `batch`, and then recomputed from the
        // stored events.
        let summaries = |batch: usize| {
            let dir = tempfile::tempdir().unwrap();
            let store = EmbeddedStore::open(dir.path(), InstanceRules::default()).unwrap();
            for chunk in events.chunks(batch) {
                store.append(chunk).unwrap();
            }
            let kept = store.instances(&query).unwrap();
            let merges = store.overview().unwrap().merges;
            store.writer.lock().unwrap().recompute_all_for_test();
            (kept, store.instances(&query).unwrap(), merges)
        };
        let (at_once, recomputed, _) = summaries(events.len());
        assert!(at_once.total > 1);
        assert_eq!(at_once, recomputed, "one batch");
        for batch in [1, 3, 8] {
            let (kept, recomputed, merges) = summaries(batch);
            assert_eq!(kept, recomputed, "batches of {batch}");
            assert_eq!(kept, at_once, "batches of {batch} against one");
            assert!(merges > 0, "batches of {batch} merge instances");
        }
    }

    #[test]
    fn saved_rules_are_read_before_the_store_is_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        assert_eq!(EmbeddedStore::saved_rules_at(&path).unwrap(), None);
        assert!(!path.exists(), "reading the rules creates no store");
        let store = EmbeddedStore::open(&path, InstanceRules::default()).unwrap();
        assert_eq!(EmbeddedStore::saved_rules_at(&path).unwrap(), None);
        store
            .save_rules("[instances]\nstuck_after = \"2h\"\n")
            .unwrap();
        assert_eq!(
            EmbeddedStore::saved_rules_at(&path).unwrap().as_deref(),
            Some("[instances]\nstuck_after = \"2h\"\n")
        );
    }

    #[test]
    fn survives_a_restart_with_its_key_graph() {
        let dir = tempfile::tempdir().unwrap();
        contract::survives_a_restart(&|| {
            Box::new(EmbeddedStore::open(dir.path(), InstanceRules::default()).unwrap())
        });
    }

    #[test]
    fn a_failed_batch_keeps_nothing_and_the_store_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path(), InstanceRules::default()).unwrap();
        store
            .append(&[keyed_event("a", 1, &[("order", "1")])])
            .unwrap();
        // Make the next write fail inside the transaction, after correlation has run.
        store.execute_for_test("CREATE TRIGGER fail BEFORE INSERT ON events WHEN NEW.id = 'boom' BEGIN SELECT RAISE(ABORT, 'disk full'); END");
        let err = store.append(&[
            keyed_event("b", 2, &[("order", "1"), ("pick", "p")]),
            keyed_event("boom", 3, &[("pick", "q")]),
        ]);
        assert!(err.is_err());
        assert_eq!(
            store.overview().unwrap().events,
            1,
            "nothing of the failed batch is kept"
        );
        store
            .writer
            .lock()
            .unwrap()
            .execute_for_test("DROP TRIGGER fail");
        let report = store
            .append(&[keyed_event("b", 2, &[("order", "1"), ("pick", "p")])])
            .unwrap();
        assert_eq!((report.inserted, report.merges), (1, 0));
        assert_eq!(
            store.overview().unwrap().instances,
            1,
            "key graph was rolled back with the batch"
        );
    }
}
