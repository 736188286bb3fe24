//! Where events come from. One folder per source; each turns raw messages into events with
//! the shared [`crate::mapping`] rules and hands them to a [`crate::store::Store`].

pub mod files;
pub mod http;
pub mod kafka;
pub mod otlp;
