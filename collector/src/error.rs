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
    /// The store failed (disk, database); nothing of the failed batch was kept.
    #[error("store: {0}")]
    Store(#[from] rusqlite::Error),
    /// The ClickHouse store failed or could not be reached; nothing of the failed batch is
    /// counted as stored.
    #[cfg(feature = "clickhouse")]
    #[error("store (ClickHouse): {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
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
