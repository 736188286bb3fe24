//! The store's SQL on a current ClickHouse engine, not only on Debian's 18.16 server.
//!
//! chdb ships ClickHouse as a shared library (`libchdb.so`, from the npm package
//! `@chdb/lib-linux-x64-gnu`); this test loads it at run time, creates the schema with the same
//! DDL, loads the data a real 18.16 server holds after a workload, then runs every query the
//! store issues on both engines and requires the same answers.

use super::equivalence::{lifecycle_cases, order_flow};
use super::sql::{self, recall, retention, state, InstanceFilter, Sql, StatusRule};
use super::tests::fresh_url;
use super::{schema, ClickHouseStore};
use crate::store::state_rows::CASES;
use crate::store::{
    CaseFilter, CaseIds, DeadLetter, InstanceOrder, InstanceQuery, InstanceStatus, KeyLink,
    ObjectAttribute, StatsQuery, StoreRead, StoreWrite,
};
use crate::CollectorConfig;
use fixtures::ORDER_FLOW_CONFIG;
use libloading::{Library, Symbol};
use miner::log::BusinessKey;
use std::ffi::{c_char, c_int, c_void, CStr, CString};

type Connect = unsafe extern "C" fn(c_int, *mut *mut c_char) -> *mut *mut c_void;
type Close = unsafe extern "C" fn(*mut *mut c_void);
type Query = unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char) -> *mut c_void;
type ResultBuffer = unsafe extern "C" fn(*mut c_void) -> *mut c_char;
type ResultLength = unsafe extern "C" fn(*mut c_void) -> usize;
type ResultError = unsafe extern "C" fn(*mut c_void) -> *const c_char;
type DestroyResult = unsafe extern "C" fn(*mut c_void);

/// An in-process ClickHouse session of libchdb.
struct Chdb {
    /// Never unloaded: libchdb leaves thread-local destructors that run when the test thread
    /// exits, after the library would be gone.
    library: &'static Library,
    connection: *mut *mut c_void,
    _dir: tempfile::TempDir,
}

impl Chdb {
    /// Loads the library at `path` and opens a session with its data in a temporary directory.
    fn open(path: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        // SAFETY: libchdb's C API (chdb.h): chdb_connect(int argc, char **argv) returns a
        // connection handle pointer, or null on failure.
        unsafe {
            let library: &'static Library = Box::leak(Box::new(
                Library::new(path).unwrap_or_else(|e| panic!("loading {path}: {e}")),
            ));
            let connect: Symbol<Connect> = library.get(b"chdb_connect").unwrap();
            let args = [
                CString::new("clickhouse").unwrap(),
                CString::new(format!("--path={}", dir.path().display())).unwrap(),
            ];
            let mut argv: Vec<*mut c_char> =
                args.iter().map(|a| a.as_ptr() as *mut c_char).collect();
            let connection = connect(argv.len() as c_int, argv.as_mut_ptr());
            assert!(!connection.is_null(), "chdb_connect failed");
            Self {
                library,
                connection,
                _dir: dir,
            }
        }
    }

    /// Runs `query`, returning its output in `format`, or the engine's error message.
    fn query(&self, query: &str, format: &str) -> Result<Vec<u8>, String> {
        let query = CString::new(query).expect("no NUL in SQL");
        let format = CString::new(format).unwrap();
        // SAFETY: chdb_query(chdb_connection, const char*, const char*) returns a result the
        // caller frees with chdb_destroy_query_result; buffer and error stay valid until then.
        unsafe {
            let run: Symbol<Query> = self.library.get(b"chdb_query").unwrap();
            let buffer: Symbol<ResultBuffer> = self.library.get(b"chdb_result_buffer").unwrap();
            let length: Symbol<ResultLength> = self.library.get(b"chdb_result_length").unwrap();
            let error: Symbol<ResultError> = self.library.get(b"chdb_result_error").unwrap();
            let destroy: Symbol<DestroyResult> =
                self.library.get(b"chdb_destroy_query_result").unwrap();
            let result = run(*self.connection, query.as_ptr(), format.as_ptr());
            assert!(!result.is_null(), "chdb_query returned no result");
            let message = error(result);
            let answer = if message.is_null() {
                let data = buffer(result);
                Ok(if data.is_null() {
                    Vec::new()
                } else {
                    std::slice::from_raw_parts(data as *const u8, length(result)).to_vec()
                })
            } else {
                Err(CStr::from_ptr(message).to_string_lossy().into_owned())
            };
            destroy(result);
            answer
        }
    }
}

impl Drop for Chdb {
    fn drop(&mut self) {
        // SAFETY: closes the handle chdb_connect returned, once.
        unsafe {
            let close: Symbol<Close> = self.library.get(b"chdb_close_conn").unwrap();
            close(self.connection);
        }
    }
}

/// Output lines in order (a query's row order is only fixed where it says ORDER BY, so
/// unordered answers are compared as sorted lines).
fn lines(bytes: &[u8], ordered: bool) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_string)
        .collect();
    if !ordered {
        lines.sort();
    }
    lines
}

/// Every query the store issues, with values bound that the stored data answers: an instance
/// formed by a merge, a time window, the most frequent variant, a projection.
fn every_query(store: &ClickHouseStore) -> Vec<Sql> {
    let ends = store.rules.end_activities.clone();
    let overview = store.overview().unwrap();
    let latest = overview.latest_event.unwrap();
    let rule = StatusRule {
        end_activities: &ends,
        steps: vec![("Pay".into(), latest - 60_000_000), ("Ship".into(), latest)],
        stuck_before: latest - 3_600_000_000,
    };
    let no_ends = StatusRule {
        end_activities: &[],
        steps: Vec::new(),
        stuck_before: 0,
    };
    let merged = store
        .instances(&InstanceQuery {
            search: Some("order=1".into()),
            ..Default::default()
        })
        .unwrap()
        .instances[0]
        .id;
    let stats = store.process_stats(&StatsQuery::default()).unwrap();
    let last = stats.last_event.unwrap();
    let names = super::state::activity_table(&store.db).unwrap();
    let top: Vec<String> = stats
        .variant_names(&stats.variants[0])
        .iter()
        .map(|s| s.to_string())
        .collect();
    let projection: Vec<String> = stats
        .activities
        .iter()
        .step_by(2)
        .map(|a| a.name.clone())
        .collect();
    let stuck_at = overview
        .steps
        .iter()
        .find(|s| s.stuck > 0)
        .expect("the generated flow has stuck orders")
        .step
        .clone();
    let drill = CaseIds {
        with: vec![0],
        follows: vec![(0, 1)],
        ..Default::default()
    };
    // An activity neither order 3 nor the top variant has, so that the filter bar keeps them.
    let third = store
        .instances(&InstanceQuery {
            search: Some("order=3".into()),
            ..Default::default()
        })
        .unwrap()
        .instances[0]
        .id;
    let done: Vec<String> = store
        .instance(third)
        .unwrap()
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.activity)
        .collect();
    let (absent_id, absent) = names
        .0
        .iter()
        .zip(&names.1)
        .find(|(_, name)| !done.contains(name) && !top.contains(name))
        .map(|(&id, name)| (u32::try_from(id).unwrap(), name.clone()))
        .expect("an activity order 3 and the top variant lack");
    let filter_bar = CaseIds {
        from: Some(1),
        to: Some(i64::MAX),
        without: vec![absent_id],
        min_duration: Some(1),
        max_duration: Some(i64::MAX),
        ..Default::default()
    };
    let key = BusinessKey::new("order", "3");
    let filters = [
        InstanceFilter {
            search: None,
            status: None,
            at_step: None,
            active_since: None,
            key: None,
            attribute: None,
            steps: None,
        },
        InstanceFilter {
            search: Some("order=3"),
            status: None,
            at_step: None,
            active_since: None,
            key: None,
            attribute: None,
            steps: None,
        },
        InstanceFilter {
            search: Some("3"),
            status: Some("completed"),
            at_step: None,
            active_since: None,
            key: None,
            attribute: None,
            steps: None,
        },
        InstanceFilter {
            search: None,
            status: Some("stuck"),
            at_step: Some(&stuck_at),
            active_since: None,
            key: None,
            attribute: None,
            steps: None,
        },
        InstanceFilter {
            search: None,
            status: None,
            at_step: None,
            active_since: None,
            key: None,
            attribute: None,
            steps: Some(Some(&drill)),
        },
        InstanceFilter {
            attribute: Some(("customer", "customer-3")),
            ..Default::default()
        },
        InstanceFilter {
            search: None,
            status: None,
            at_step: None,
            active_since: None,
            key: Some(&key),
            attribute: None,
            steps: Some(Some(&filter_bar)),
        },
    ];
    let mut queries = vec![
        sql::counts(),
        sql::running_by_step(&rule),
        sql::running_by_step(&no_ends),
        sql::state::ending_by_step(),
        sql::roots_around(2),
        sql::roots_around(merged),
        sql::instance_events(vec![merged, 2]),
        sql::instance_keys(vec![merged, 2]),
        sql::instance_merges(vec![merged, 2]),
        sql::events_of(vec![merged, 2, 3]),
        sql::uncorrelated(20),
        sql::all_keys(),
        sql::all_links(),
        sql::dead_letters(10),
        sql::object_attributes(),
        sql::saved_rules(),
        sql::saved_model(),
        sql::stored_event_ids(vec!["nope".into(), "c3-1".into()]),
        sql::stored_dead_letters(vec!["orders".into()], vec!["orders/0/7".into()]),
        recall::stored_keys(vec!["1".into(), "3".into(), "nope".into()]),
        recall::roots_of(vec![merged, 2, 3]),
        recall::members_of(vec![merged, 2]),
        recall::keys_of(vec![merged, 2, 3]),
        recall::count_keys(),
        recall::key_values(),
        sql::labels_of(vec![merged, 2]),
        sql::high_water_marks(),
        sql::has_lifecycle_starts(),
        state::current_summaries(None),
        state::current_summaries(Some(rule.stuck_before)),
        state::current_steps(names.0.clone(), names.1.clone(), None, None),
        state::current_steps(
            names.0.clone(),
            names.1.clone(),
            Some(last - 86_400_000_000),
            Some(last),
        ),
        state::traces_of(vec![merged, 2]),
        state::steps_of(vec![merged, 2]),
        state::steps_in_slice(0, 2),
        state::steps_in_slice(1, 2),
        state::business_labels(),
        state::instances_with(&CaseIds {
            variant: Some(vec![0, 1, 2, 3]),
            ..Default::default()
        }),
        state::totals(),
        state::total_of(CASES),
        state::variants(),
        state::activities(),
        state::done_through(1),
        state::time_span(),
        state::stored_events(),
        state::ending_in(ends.clone()),
        sql::key_kinds(),
        retention::keyless_newest(),
        retention::old_instances(latest - 12 * 3_600_000_000, 10),
        retention::old_keyless(latest),
        retention::old_keyless_ids(latest + 1, 5),
        retention::ids_of(vec![merged, 2]),
        retention::running_mutations(),
    ];
    for filter in &filters {
        queries.push(sql::instance_count(&rule, filter));
        queries.push(sql::instance_page(
            &rule,
            filter,
            InstanceOrder::Latest,
            0,
            5,
        ));
        queries.push(sql::instance_page(
            &rule,
            filter,
            InstanceOrder::LongestWaiting,
            0,
            5,
        ));
    }
    const HOUR: i64 = 3_600_000_000;
    let window = CaseFilter {
        from: Some(last - 36 * HOUR),
        to: Some(last - 12 * HOUR),
        ..Default::default()
    };
    let filter_bar = CaseFilter {
        with: vec![top[1].clone()],
        without: vec![absent],
        follows: vec![(top[0].clone(), top[1].clone())],
        min_duration: Some(1),
        max_duration: Some(1_000 * HOUR),
        ..Default::default()
    };
    let by_key = CaseFilter {
        key: Some(BusinessKey::new("order", "3")),
        ..Default::default()
    };
    let variant = CaseFilter {
        variant: Some(top),
        ..Default::default()
    };
    let cases = [
        (CaseFilter::default(), None),
        (window, Some(projection.as_slice())),
        (variant, None),
        (filter_bar, None),
        (by_key, None),
    ];
    for (filter, activities) in &cases {
        queries.push(sql::stats_items(filter, *activities, &names, true, None));
        queries.push(sql::stats_items(filter, *activities, &names, false, None));
    }
    queries.push(sql::stats_items(
        &CaseFilter {
            attribute: Some(("customer".into(), "customer-3".into())),
            ..Default::default()
        },
        None,
        &names,
        false,
        None,
    ));
    let completed = InstanceStatus::Completed;
    queries.push(sql::stats_items(
        &CaseFilter {
            status: Some(completed),
            ..Default::default()
        },
        None,
        &names,
        false,
        Some((&rule, completed)),
    ));
    queries
}

#[test]
#[ignore = "needs a ClickHouse server and libchdb: make clickhouse-tests"]
fn every_statement_runs_alike_on_current_clickhouse() {
    let path = std::env::var("FLOWSIGHT_CHDB").expect(
        "FLOWSIGHT_CHDB names no libchdb.so: run under scripts/with-clickhouse.sh (make test)",
    );
    let config = CollectorConfig::parse(ORDER_FLOW_CONFIG).unwrap();
    let store = ClickHouseStore::open(&fresh_url(), config.instances.clone()).unwrap();
    let mut events = order_flow(&config);
    events.extend(lifecycle_cases(11));
    let mut keyless = events[0].clone();
    keyless.id = "keyless".into();
    keyless.keys.clear();
    events.push(keyless);
    for batch in events.chunks(700) {
        store.append(batch).unwrap();
    }
    store
        .link(&[KeyLink::new(
            BusinessKey::new("order", "1"),
            BusinessKey::new("order", "2"),
        )])
        .unwrap();
    store
        .dead_letter(&[DeadLetter {
            topic: "orders".into(),
            partition: 0,
            offset: 7,
            reason: "not JSON".into(),
            raw: b"\x00\xff{broken".to_vec(),
            received: 1,
        }])
        .unwrap();
    store
        .set_object_attributes(&[ObjectAttribute {
            object: BusinessKey::new("order", "1"),
            name: "amount".into(),
            time: 5,
            value: 12.5.into(),
        }])
        .unwrap();
    store.save_rules(ORDER_FLOW_CONFIG).unwrap();
    store.save_model("<definitions/>").unwrap();

    let chdb = Chdb::open(&path);
    let version = chdb.query("SELECT version()", "TSV").unwrap();
    eprintln!(
        "chdb ClickHouse {}",
        String::from_utf8_lossy(&version).trim()
    );
    for table in &schema::TABLES {
        let ddl = table.create();
        chdb.query(&ddl, "TSV")
            .unwrap_or_else(|e| panic!("DDL on current ClickHouse: {e}\n{ddl}"));
    }
    for table in schema::TABLES.iter().map(|t| t.name) {
        let data = store
            .db
            .run(async {
                store
                    .db
                    .query(Sql::new(format!("SELECT * FROM {table}")))
                    .fetch_bytes("TSV")?
                    .collect()
                    .await
            })
            .unwrap();
        let insert = format!(
            "INSERT INTO {table} FORMAT TSV\n{}",
            String::from_utf8_lossy(&data)
        );
        chdb.query(&insert, "TSV")
            .unwrap_or_else(|e| panic!("loading {table}: {e}"));
    }

    let queries = every_query(&store);
    let total = queries.len();
    let mut empty = Vec::new();
    for query in queries {
        let text = store.db.query(query.clone()).sql_display().to_string();
        let old = store
            .db
            .run(async { store.db.query(query).fetch_bytes("TSV")?.collect().await })
            .unwrap_or_else(|e| panic!("on ClickHouse 18.16: {e}\n{text}"));
        let new = chdb
            .query(&text, "TSV")
            .unwrap_or_else(|e| panic!("on current ClickHouse: {e}\n{text}"));
        let ordered = text.contains("ORDER BY");
        assert_eq!(
            lines(&old, ordered),
            lines(&new, ordered),
            "answers differ for\n{text}"
        );
        if old.is_empty() {
            empty.push(text);
        }
    }
    assert!(
        empty.len() <= 1,
        "of {total} queries, these found nothing to compare (only the lookup of unknown ids should):\n{}",
        empty.join("\n")
    );
}
