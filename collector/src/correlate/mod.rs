//! Correlation: which events belong to one process instance.
//!
//! Every business key value (`order=4711`) is a node; an event carrying several keys links
//! them; an instance is a connected component. A late event that links two components merges
//! them into the older one, and the merge is reported so the store can move the absorbed
//! instance's events and keys, and the UI can say so. Events without keys stay uncorrelated.

mod correlator;

pub use correlator::{Assignment, Correlator, InstanceId, Merge};
