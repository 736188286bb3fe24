//! The ClickHouse store: the same product when one machine's embedded store is not enough.
//!
//! Events, the key graph and dead letters live in MergeTree tables (see [`schema`]); every
//! answer — directly-follows counts and durations, variants, instance lists with status —
//! is aggregated by ClickHouse, never by pulling events out. Correlation runs in the collector,
//! as for the embedded store: one writer per database, its key graph rebuilt on open.
//!
//! The SQL stays inside what ClickHouse 18.16 (Debian's package) and current releases both
//! accept; a test runs every statement on a current engine too.

mod db;
mod judge;
mod live;
mod read;
mod retention;
mod schema;
mod sql;
mod state;
mod store_write;
mod write;

#[cfg(test)]
mod chdb;
#[cfg(test)]
mod cluster_tests;
#[cfg(test)]
mod equivalence;

use crate::config::InstanceRules;
use crate::store::ClickHouseUrl;
use crate::CollectorError;
use db::Db;
use std::sync::Mutex;

/// A store in a ClickHouse database.
pub struct ClickHouseStore {
    url: ClickHouseUrl,
    db: Db,
    writer: Mutex<write::Writer>,
    rules: InstanceRules,
    /// How long an instance may stay at each step, learned again now and then.
    limits: crate::store::wait_limits::LimitsCache,
    /// The latest write failed.
    write_failed: std::sync::atomic::AtomicBool,
}

impl ClickHouseStore {
    /// Connects to the database at `url`, creating it and its tables if missing, and
    /// rebuilds the key graph; `rules` say how instances are labelled and judged.
    pub fn open(url: &ClickHouseUrl, rules: InstanceRules) -> Result<Self, CollectorError> {
        let prepare = || {
            let db = Db::connect(url)?;
            db.create_tables()?;
            let writer = write::Writer::load(&db, url, rules.clone())?;
            Ok((db, writer))
        };
        let (db, writer) = prepare().map_err(|e| unreachable(url, e))?;
        Ok(Self {
            url: url.clone(),
            db,
            writer: Mutex::new(writer),
            limits: crate::store::wait_limits::LimitsCache::new(&rules),
            rules,
            write_failed: Default::default(),
        })
    }

    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut write::Writer, &Db) -> Result<T, CollectorError>,
    ) -> Result<T, CollectorError> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| CollectorError::Internal("writer lock poisoned".into()))?;
        let result = f(&mut writer, &self.db);
        self.write_failed
            .store(result.is_err(), std::sync::atomic::Ordering::Relaxed);
        result
    }
}

/// A network failure to reach the server as one line naming the address and the innermost
/// cause (`cannot reach ClickHouse at 127.0.0.1:8123: connection refused`); other errors
/// pass unchanged.
fn unreachable(url: &ClickHouseUrl, e: CollectorError) -> CollectorError {
    let network = match &e {
        CollectorError::Store(backend) => backend.downcast_ref::<clickhouse::error::Error>(),
        _ => None,
    };
    let Some(clickhouse::error::Error::Network(cause)) = network else {
        return e;
    };
    let mut innermost: &dyn std::error::Error = cause.as_ref();
    while let Some(next) = innermost.source() {
        innermost = next;
    }
    let reason = innermost.to_string();
    let reason = reason
        .split(" (os error")
        .next()
        .unwrap_or(&reason)
        .to_lowercase();
    let address = url
        .http
        .split_once("://")
        .map_or(url.http.as_str(), |(_, rest)| rest);
    CollectorError::Unreachable {
        address: address.to_string(),
        reason,
    }
}

impl std::fmt::Debug for ClickHouseStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseStore")
            .field("http", &self.url.http)
            .field("database", &self.url.database)
            .finish()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::contract;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The server the tests use, from `FLOWSIGHT_CLICKHOUSE` (set by
    /// `scripts/with-clickhouse.sh`), e.g. `clickhouse://127.0.0.1:8123`.
    pub fn server() -> String {
        std::env::var("FLOWSIGHT_CLICKHOUSE").expect(
            "FLOWSIGHT_CLICKHOUSE names no server: run under scripts/with-clickhouse.sh (make test)",
        )
    }

    /// A fresh, empty database on the test server.
    pub fn fresh_url() -> ClickHouseUrl {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("flowsight_test_{}_{n}", std::process::id());
        ClickHouseUrl::parse(&format!("{}/{name}", server().trim_end_matches('/'))).unwrap()
    }

    contract::contract_tests!(
        #[ignore = "needs a ClickHouse server: make clickhouse-tests"]
        check => {
            check(&|config| {
                Box::new(ClickHouseStore::open(&fresh_url(), config.instances.clone()).unwrap())
            });
        }
    );

    #[test]
    #[ignore = "needs a ClickHouse server: make clickhouse-tests"]
    fn saved_rules_are_read_before_the_store_is_opened() {
        use crate::store::StoreWrite;
        let url = fresh_url();
        assert_eq!(ClickHouseStore::saved_rules_at(&url).unwrap(), None);
        let store = ClickHouseStore::open(&url, InstanceRules::default()).unwrap();
        store
            .save_rules("[instances]\nstuck_after = \"2h\"\n")
            .unwrap();
        assert_eq!(
            ClickHouseStore::saved_rules_at(&url).unwrap().as_deref(),
            Some("[instances]\nstuck_after = \"2h\"\n")
        );
    }

    #[test]
    #[ignore = "needs a ClickHouse server: make clickhouse-tests"]
    fn survives_a_restart_with_its_key_graph() {
        let url = fresh_url();
        contract::survives_a_restart(&|| {
            Box::new(ClickHouseStore::open(&url, InstanceRules::default()).unwrap())
        });
    }

    #[test]
    #[ignore = "needs a ClickHouse server: make clickhouse-tests"]
    fn rebuilds_its_state_after_a_crash_between_the_events_and_the_state() {
        use crate::store::contract::{assert_same_process, keyed_event as event, recompute};
        use crate::store::{InstanceQuery, StatsQuery, StoreRead, StoreWrite};
        let url = fresh_url();
        let store = ClickHouseStore::open(&url, InstanceRules::default()).unwrap();
        let first = [
            event("a", 1, &[("order", "1")]),
            event("b", 2, &[("pay", "9")]),
        ];
        store.append(&first).unwrap();
        store
            .append(&[event("c", 3, &[("order", "1"), ("pay", "9")])])
            .unwrap();
        let answers = |store: &ClickHouseStore| {
            (
                store.overview().unwrap(),
                store.instances(&InstanceQuery::default()).unwrap(),
                store.process_stats(&StatsQuery::default()).unwrap(),
            )
        };
        let before = answers(&store);
        // As if the writer died after the events: their ids, the state's mark of the batch
        // and part of its change never written, a wrong row of totals written.
        for statement in [
            "TRUNCATE TABLE event_ids",
            "TRUNCATE TABLE state_done",
            "INSERT INTO state_totals VALUES (3, 0, 0, -2147483648, 5, 0)",
        ] {
            store.db.execute(sql::Sql::new(statement)).unwrap();
        }
        drop(store);
        let store = ClickHouseStore::open(&url, InstanceRules::default()).unwrap();
        assert_eq!(answers(&store), before, "the state is built again");
        let again = store.append(&first).unwrap();
        assert_eq!(again.inserted, 0, "the events' ids were recorded again");
        assert_eq!(answers(&store), before);
        assert_same_process(
            &store.process_stats(&StatsQuery::default()).unwrap(),
            &recompute(&store),
        );
        let detail = store.instance(before.1.instances[0].id).unwrap().unwrap();
        let ids: Vec<&str> = detail.events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }

    #[test]
    #[ignore = "needs a ClickHouse server: make clickhouse-tests"]
    fn an_interrupted_retention_is_repaired_on_open_and_the_next_run_carries_on() {
        use crate::store::contract::{consistent, order_events};
        use crate::store::{StoreRead, StoreWrite};
        use miner::time::HOUR;
        let url = fresh_url();
        let (config, events) = order_events(300);
        let open = || ClickHouseStore::open(&url, config.instances.clone()).unwrap();
        let store = open();
        store.append(&events).unwrap();
        let before = store.overview().unwrap();
        // Killed after marking a step, before deleting anything: the state is behind.
        store
            .db
            .execute(sql::Sql::new(format!(
                "INSERT INTO correlation (row_type, version) VALUES ({}, 1000000)",
                schema::RETENTION_ROW
            )))
            .unwrap();
        drop(store);
        let store = open();
        assert_eq!(
            store.overview().unwrap(),
            before,
            "built again, nothing lost"
        );
        consistent(&store);
        let deleted = store.retain(HOUR).unwrap();
        assert!(deleted.instances > 0, "{deleted:?}");
        // Killed after the deletions, before the state took them out of its totals.
        for statement in [
            "TRUNCATE TABLE state_done",
            "INSERT INTO state_totals VALUES (6, -1, -1, -2147483648, 99, 0)",
        ] {
            store.db.execute(sql::Sql::new(statement)).unwrap();
        }
        drop(store);
        let store = open();
        assert_eq!(
            store.overview().unwrap().instances,
            before.instances - deleted.instances
        );
        consistent(&store);
    }

    #[test]
    #[ignore = "needs a ClickHouse server: make clickhouse-tests"]
    fn nothing_of_the_history_is_read_on_open() {
        use crate::store::contract::{keyed_event, order_events};
        use crate::store::{StoreRead, StoreWrite};
        let url = fresh_url();
        let (config, events) = order_events(300);
        let open = || ClickHouseStore::open(&url, config.instances.clone()).unwrap();
        {
            let store = open();
            store.append(&events).unwrap();
            assert!(store.held_in_memory().unwrap().keys > 0);
        }
        let store = open();
        let held = store.held_in_memory().unwrap();
        assert_eq!((held.instances, held.keys), (0, 0));
        // Yet every event is known when redelivered, and new ids continue above the stored ones.
        let before = store.overview().unwrap();
        let report = store.append(&events).unwrap();
        assert_eq!(
            (report.inserted, report.duplicates),
            (0, events.len() as u64)
        );
        assert_eq!(store.overview().unwrap(), before);
        assert_eq!(
            store.held_in_memory().unwrap().keys,
            0,
            "redelivery brings nothing back"
        );
        store
            .append(&[keyed_event("new", 0, &[("order", "a-new-order")])])
            .unwrap();
        assert_eq!(store.overview().unwrap().instances, before.instances + 1);
    }
}
