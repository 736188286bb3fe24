//! The connection to ClickHouse: the `clickhouse` client and the runtime its calls run on, so
//! the synchronous [`crate::store::Store`] methods can wait for them.

use super::sql::{Sql, Value};
use crate::store::ClickHouseUrl;
use crate::CollectorError;
use clickhouse::query::Query;
use clickhouse::{Client, RowOwned, RowRead, RowWrite};
use std::future::Future;
use std::time::Duration;
use tokio::runtime::Runtime;

/// The longest statement the store sends (bytes).
const MAX_QUERY_BYTES: usize = 64 << 20;

/// How long an insert may take before it counts as failed: a slow server then pushes back on
/// the sources (503, Kafka pause) instead of holding their batches indefinitely.
const INSERT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a query may take before it counts as failed, so nothing waits forever.
const QUERY_TIMEOUT: Duration = Duration::from_secs(300);

/// A client bound to Flowsight's database, with its own small runtime; in a cluster, also a
/// client of every shard, for what a Distributed table does not take (creating the shards'
/// own tables, deleting from them, emptying them).
pub struct Db {
    client: Client,
    /// Each shard's client and the suffix of its own tables' names ("" on one server, where
    /// the one client is the only shard).
    shards: Vec<Client>,
    local_suffix: &'static str,
    /// The cluster's name, in a cluster.
    cluster: Option<String>,
    database: String,
    runtime: Option<Runtime>,
}

impl Db {
    /// Connects to `url`, creating its database if missing (on every shard of a cluster).
    pub fn connect(url: &ClickHouseUrl) -> Result<Self, CollectorError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("clickhouse-store")
            .enable_all()
            .build()
            .map_err(|e| CollectorError::Internal(format!("ClickHouse runtime: {e}")))?;
        let server = |http: &str| {
            // Validation off: it needs RowBinaryWithNamesAndTypes, which ClickHouse 18.16 lacks.
            let mut server = Client::default()
                .with_url(http)
                .with_validation(false)
                // The crate cannot read 18.16's LZ4-compressed answers (rows come back empty).
                .with_compression(clickhouse::Compression::None)
                // A batch's id lookup lists every id of the batch: far above the 256 KiB default.
                .with_option("max_query_size", MAX_QUERY_BYTES.to_string());
            if url.cluster.is_some() {
                // Subqueries over Distributed tables run once and are sent to the shards
                // (GLOBAL IN/JOIN), and an insert returns once every shard has its rows.
                server = server
                    .with_option("distributed_product_mode", "global")
                    .with_option("insert_distributed_sync", "1");
            }
            if let Some(user) = &url.user {
                server = server.with_user(user);
            }
            if let Some(password) = &url.password {
                server = server.with_password(password);
            }
            server
        };
        let create = super::schema::create_database(&url.database);
        let entry = server(&url.http);
        runtime.block_on(entry.query(&create).execute())?;
        let (shards, local_suffix) = match &url.cluster {
            None => (vec![entry.clone().with_database(&url.database)], ""),
            Some(cluster) => {
                let mut shards = Vec::new();
                for http in &cluster.shards {
                    let shard = server(http);
                    runtime.block_on(shard.query(&create).execute())?;
                    shards.push(shard.with_database(&url.database));
                }
                (shards, super::schema::LOCAL_SUFFIX)
            }
        };
        Ok(Self {
            client: entry.with_database(&url.database),
            shards,
            local_suffix,
            cluster: url.cluster.as_ref().map(|c| c.name.clone()),
            database: url.database.clone(),
            runtime: Some(runtime),
        })
    }

    /// Creates every table: on one server, the tables; in a cluster, every shard's own tables
    /// and, on every shard, the Distributed tables over them.
    pub fn create_tables(&self) -> Result<(), CollectorError> {
        for table in &super::schema::TABLES {
            match &self.cluster {
                None => self.execute(Sql::new(table.create()))?,
                Some(cluster) => {
                    for shard in &self.shards {
                        self.run_bounded(shard.query(&table.create_local()).execute())?;
                    }
                    let distributed = table.create_distributed(cluster, &self.database);
                    for shard in &self.shards {
                        self.run_bounded(shard.query(&distributed).execute())?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs `statement` (given the name of a shard's own table `table`) on every shard: what
    /// a Distributed table does not take, such as `ALTER TABLE … DELETE` and `TRUNCATE`.
    pub fn execute_on_shards(
        &self,
        table: &str,
        statement: impl Fn(&str) -> Sql,
    ) -> Result<(), CollectorError> {
        let local = format!("{table}{}", self.local_suffix);
        for shard in &self.shards {
            let sql = statement(&local);
            let query = sql.values.into_iter().fold(shard.query(&sql.text), bind);
            self.run_bounded(query.execute())?;
        }
        Ok(())
    }

    /// The largest answer of a one-number query over every shard (e.g. a count of running
    /// mutations).
    pub fn fetch_on_shards(&self, sql: Sql) -> Result<u64, CollectorError> {
        self.shard_counts(sql)
            .into_iter()
            .try_fold(0, |most, n| Ok(most.max(n?)))
    }

    /// The answer of a one-number query on each shard.
    pub fn shard_counts(&self, sql: Sql) -> Vec<Result<u64, CollectorError>> {
        self.shards
            .iter()
            .map(|shard| {
                let query = sql
                    .values
                    .clone()
                    .into_iter()
                    .fold(shard.query(&sql.text), bind);
                self.run_bounded(query.fetch_one::<u64>())
            })
            .collect()
    }

    /// Waits for `future` on the store's runtime.
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        self.runtime
            .as_ref()
            .expect("the runtime lives until drop")
            .block_on(future)
    }

    /// The statement as a query of the client, its values bound in order.
    pub fn query(&self, sql: Sql) -> Query {
        sql.values
            .into_iter()
            .fold(self.client.query(&sql.text), bind)
    }

    /// Waits for `future`, at most [`QUERY_TIMEOUT`].
    fn run_bounded<T>(
        &self,
        future: impl Future<Output = clickhouse::error::Result<T>>,
    ) -> Result<T, CollectorError> {
        let bounded = async { tokio::time::timeout(QUERY_TIMEOUT, future).await };
        match self.run(bounded) {
            Ok(result) => Ok(result?),
            Err(_) => Err(clickhouse::error::Error::TimedOut.into()),
        }
    }

    /// Runs a statement that returns nothing.
    pub fn execute(&self, sql: Sql) -> Result<(), CollectorError> {
        self.run_bounded(self.query(sql).execute())
    }

    /// Runs a query and collects its rows.
    pub fn fetch<T: RowOwned + RowRead>(&self, sql: Sql) -> Result<Vec<T>, CollectorError> {
        self.run_bounded(self.query(sql).fetch_all::<T>())
    }

    /// Runs a query and hands each row to `row` as it arrives (memory for one block of rows,
    /// whatever the answer's size).
    pub fn for_each<T: RowOwned + RowRead>(
        &self,
        sql: Sql,
        mut row: impl FnMut(T),
    ) -> Result<(), CollectorError> {
        self.run_bounded(async {
            let mut cursor = self.query(sql).fetch::<T>()?;
            while let Some(next) = cursor.next().await? {
                row(next);
            }
            Ok(())
        })
    }

    /// Runs a query that returns one row.
    pub fn fetch_one<T: RowOwned + RowRead>(&self, sql: Sql) -> Result<T, CollectorError> {
        self.run_bounded(self.query(sql).fetch_one::<T>())
    }

    /// Inserts `rows` into `table` in one request (one block: kept whole or not at all).
    pub fn insert<T>(&self, table: &str, rows: &[T]) -> Result<(), CollectorError>
    where
        T: RowOwned + RowWrite,
    {
        if rows.is_empty() {
            return Ok(());
        }
        self.run(async {
            let mut insert = self
                .client
                .insert::<T>(table)
                .await?
                .with_timeouts(Some(INSERT_TIMEOUT), Some(INSERT_TIMEOUT));
            for row in rows {
                insert.write(row).await?;
            }
            insert.end().await
        })?;
        Ok(())
    }
}

/// `query` with `value` bound to its next placeholder.
fn bind(query: Query, value: Value) -> Query {
    match value {
        Value::Str(s) => query.bind(s),
        Value::Int(i) => query.bind(i),
        Value::Strs(v) => query.bind(v),
        Value::Ints(v) => query.bind(v),
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        // A runtime may not be dropped where blocking is forbidden (inside another runtime);
        // shutting it down in the background is allowed everywhere.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
