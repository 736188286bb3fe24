//! The collector's one error type.

use thiserror::Error;

/// What can go wrong while collecting, mapping, correlating or storing events.
#[derive(Debug, Error)]
pub enum CollectorError {
    /// The configuration file could not be read or understood.
    #[error("configuration {path}: {message}")]
    Config {
        /// The file.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// The store failed (disk, database, a server gone); nothing of the failed batch was kept.
    #[error("store: {0}")]
    Store(#[from] BackendError),
    /// A store address could not be understood.
    #[error("store address {url}: {message}")]
    StoreUrl {
        /// The address as given.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The store's directory could not be prepared.
    #[error("store directory {path}: {source}")]
    StoreDir {
        /// The directory.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An event log file could not be read; the message says where and why.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// The ClickHouse server could not be reached at all (down, wrong address).
    #[error("cannot reach ClickHouse at {address}: {reason}")]
    Unreachable {
        /// `HOST:PORT` as given.
        address: String,
        /// Why, in a few words (e.g. `connection refused`).
        reason: String,
    },
    /// A command that only reads was pointed at a store that does not exist.
    #[error("no store at {0}: nothing was imported or collected there (check --store)")]
    NoStore(String),
    /// A source (a broker, a listener) could not be set up or reached.
    #[error("source: {0}")]
    Source(String),
    /// Stored data could not be decoded (a corrupted or foreign database).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The process state kept beside the events is damaged; it is built again from them.
    #[error("the process state is damaged ({0}); it is built again from the events")]
    StateDamaged(String),
    /// The store cannot do what was asked.
    #[error("{0}")]
    Unsupported(String),
    /// Correlation rules could not be discovered from a sample; the message says what is missing.
    #[error("discovery: {0}")]
    Discovery(String),
    /// A worker thread failed.
    #[error("internal: {0}")]
    Internal(String),
}

/// A store backend's own error (SQLite's, ClickHouse's), kept whole for its message, its
/// causes and the backend's own inspection, without its type reaching callers of the store.
#[derive(Debug, Error)]
#[error(transparent)]
pub struct BackendError(Box<dyn std::error::Error + Send + Sync>);

impl BackendError {
    /// The backend's error as its own type, for the backend that raised it (the ClickHouse
    /// store tells an unreachable server apart).
    #[cfg(feature = "clickhouse")]
    pub(crate) fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref()
    }
}

impl From<rusqlite::Error> for CollectorError {
    fn from(e: rusqlite::Error) -> Self {
        CollectorError::Store(BackendError(Box::new(e)))
    }
}

#[cfg(feature = "clickhouse")]
impl From<clickhouse::error::Error> for CollectorError {
    fn from(e: clickhouse::error::Error) -> Self {
        CollectorError::Store(BackendError(Box::new(e)))
    }
}

#[cfg(test)]
impl CollectorError {
    /// A store failure saying `reason`, as a test double's store raises it.
    pub(crate) fn store_failure(reason: &str) -> Self {
        CollectorError::Store(BackendError(reason.into()))
    }
}
