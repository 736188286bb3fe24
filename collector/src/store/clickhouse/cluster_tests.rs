//! The ClickHouse store on a cluster of two shards (`flowsight_pair`, started by
//! `scripts/with-clickhouse.sh`): the whole contract suite, and the same answers as one server.

use super::equivalence::{assert_same_answers, lifecycle_cases, order_flow};
use super::sql::Sql;
use super::tests::{fresh_url, server};
use super::{ClickHouseStore, ClickHouseUrl};
use crate::store::contract;
use crate::store::StoreWrite;
use crate::CollectorConfig;
use fixtures::ORDER_FLOW_CONFIG;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh, empty database on the test cluster.
fn fresh_cluster_url() -> ClickHouseUrl {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let cluster = std::env::var("FLOWSIGHT_CLICKHOUSE_CLUSTER").expect(
        "FLOWSIGHT_CLICKHOUSE_CLUSTER names no cluster: run under scripts/with-clickhouse.sh (make test)",
    );
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("flowsight_cluster_{}_{n}", std::process::id());
    ClickHouseUrl::parse(&format!(
        "{}/{name}?{cluster}",
        server().trim_end_matches('/')
    ))
    .unwrap()
}

contract::contract_tests!(
    #[ignore = "needs a ClickHouse cluster: make clickhouse-tests"]
    check => {
        check(&|config| {
            Box::new(ClickHouseStore::open(&fresh_cluster_url(), config.instances.clone()).unwrap())
        });
    }
);

#[test]
#[ignore = "needs a ClickHouse cluster: make clickhouse-tests"]
fn a_cluster_answers_as_one_server_does() {
    let config = CollectorConfig::parse(ORDER_FLOW_CONFIG).unwrap();
    for (what, events) in [
        ("order flow with spans", order_flow(&config)),
        ("lifecycle cases", lifecycle_cases(5)),
    ] {
        let one = ClickHouseStore::open(&fresh_url(), config.instances.clone()).unwrap();
        let cluster =
            ClickHouseStore::open(&fresh_cluster_url(), config.instances.clone()).unwrap();
        for batch in events.chunks(900) {
            assert_eq!(
                cluster.append(batch).unwrap(),
                one.append(batch).unwrap(),
                "{what}: append report"
            );
        }
        assert_same_answers(&one, &cluster, what);
        // The rows are spread over both shards.
        for shard in cluster
            .db
            .shard_counts(Sql::new("SELECT count() FROM events_local"))
        {
            assert!(shard.unwrap() > 0, "{what}: a shard holds no events");
        }
    }
}
