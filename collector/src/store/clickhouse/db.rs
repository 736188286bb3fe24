//! The connection to ClickHouse: the `clickhouse` client and the runtime its calls run on, so
//! the synchronous [`crate::store::Store`] methods can wait for them.

use super::sql::{Sql, Value};
use super::url::ClickHouseUrl;
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

/// A client bound to Flowsight's database, with its own small runtime.
pub struct Db {
    client: Client,
    runtime: Option<Runtime>,
}

impl Db {
    /// Connects to `url`, creating its database if missing.
    pub fn connect(url: &ClickHouseUrl) -> Result<Self, CollectorError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("clickhouse-store")
            .enable_all()
            .build()
            .map_err(|e| CollectorError::Internal(format!("ClickHouse runtime: {e}")))?;
        // Validation off: it needs RowBinaryWithNamesAndTypes, which ClickHouse 18.16 lacks.
        let mut server = Client::default()
            .with_url(&url.http)
            .with_validation(false)
            // The crate cannot read 18.16's LZ4-compressed answers (rows come back empty).
            .with_compression(clickhouse::Compression::None)
            // A batch's id lookup lists every id of the batch: far above the 256 KiB default.
            .with_option("max_query_size", MAX_QUERY_BYTES.to_string());
        if let Some(user) = &url.user {
            server = server.with_user(user);
        }
        if let Some(password) = &url.password {
            server = server.with_password(password);
        }
        let create = super::schema::create_database(&url.database);
        runtime.block_on(server.query(&create).execute())?;
        Ok(Self {
            client: server.with_database(&url.database),
            runtime: Some(runtime),
        })
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
            .fold(self.client.query(&sql.text), |q, value| match value {
                Value::Str(s) => q.bind(s),
                Value::Int(i) => q.bind(i),
                Value::Strs(v) => q.bind(v),
                Value::Ints(v) => q.bind(v),
            })
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

impl Drop for Db {
    fn drop(&mut self) {
        // A runtime may not be dropped where blocking is forbidden (inside another runtime);
        // shutting it down in the background is allowed everywhere.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
