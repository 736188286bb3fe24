#![warn(missing_docs)]
//! Flowsight's miner: the process-mining vocabulary and algorithms, pure and synchronous.
//!
//! It knows events, logs and the models derived from them; it does no I/O beyond reading
//! the bytes it is handed, no networking and no storage. The collector and the web UI build
//! on it; it knows nothing of them.
//!
//! - [`log`]: the event model ([`log::Event`]) and the columnar [`log::EventLog`].
//! - [`discovery`]: directly-follows graphs and variants.
//! - [`performance`]: duration statistics and bottleneck rankings.
//! - [`filter`]: Disco-style map simplification (activity and path sliders).
//! - [`layout`]: layered layout of a process map and its SVG rendering.
//! - [`charts`]: cases over time, case durations and the dotted chart, as data and SVG.
//! - [`notion`]: case notions (one key kind defines a case) and the object-centric view.
//! - [`compare`]: two sets of cases compared path by path, and the map of their changes.
//! - [`formats`]: reading XES, writing CSV and JSON reports.

pub mod charts;
pub mod compare;
pub mod conformance;
pub mod discovery;
pub mod error;
pub mod filter;
pub mod formats;
pub mod layout;
pub mod log;
pub mod notion;
pub mod performance;
pub mod time;

pub use error::MinerError;
