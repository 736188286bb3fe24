//! The miner's one error type.

use thiserror::Error;

/// Everything that can go wrong inside the miner, with enough context to say what and where.
#[derive(Debug, Error)]
pub enum MinerError {
    /// The input bytes could not be read (I/O error of the underlying reader).
    #[error("cannot read {what}: {source}")]
    Io {
        /// What was being read, e.g. a file name.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An XES document broke a rule of the format; `line` is 1-based.
    #[error("invalid XES at line {line}: {message}")]
    Xes {
        /// Line of the offending element.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// A CSV file broke the column mapping; `line` is 1-based (the header is line 1).
    #[error("invalid CSV at line {line}: {message}")]
    Csv {
        /// Line of the offending record.
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// A BPMN 2.0 model could not be read or has an element the check cannot model; `line`
    /// is 1-based (0 when no line applies).
    #[error("BPMN model at line {line}: {message}")]
    Bpmn {
        /// Line of the offending element.
        line: usize,
        /// What was wrong, naming the element by kind, id and name.
        message: String,
    },
    /// A log cannot be checked against a model; the message says why.
    #[error("{0}")]
    Conformance(String),
    /// An OCEL 2.0 SQLite file could not be read or written; the message says what it holds
    /// that is refused, or SQLite's own error.
    #[cfg(feature = "ocel-sqlite")]
    #[error("{path}: {message}")]
    OcelSqlite {
        /// The file.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// An OCEL 2.0 document broke a rule of the format.
    #[error("invalid OCEL 2.0: {message}")]
    Ocel {
        /// What was wrong, naming the event, object or element.
        message: String,
    },
    /// A model was asked of more activities than discovery handles in bounded time.
    #[error("a model of {activities} activities is more than the Inductive Miner discovers in bounded time (at most {limit}): select fewer activities or instances first")]
    TooManyActivities {
        /// Activities of the log.
        activities: usize,
        /// The most accepted.
        limit: usize,
    },
    /// A timestamp could not be understood.
    #[error("invalid timestamp {value:?}: expected RFC 3339, e.g. 2024-05-01T12:00:00Z")]
    Timestamp {
        /// The text that was given.
        value: String,
    },
}
