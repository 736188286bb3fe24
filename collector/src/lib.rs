#![warn(missing_docs)]
//! Flowsight's collector: everything on the way in.
//!
//! Raw messages arrive through [`sources`], are turned into events by the [`mapping`] rules,
//! grouped into process instances by [`correlate`], and kept by a [`store::Store`], which
//! also answers the aggregate questions the UI asks (directly-follows statistics, variants,
//! instance lists) so that no caller has to pull every event.

pub mod config;
pub mod correlate;
pub mod discover;
pub mod error;
pub mod mapping;
pub mod outcome;
pub mod prometheus;
pub mod sources;
pub mod store;

pub use config::CollectorConfig;
pub use error::{BackendError, CollectorError};
