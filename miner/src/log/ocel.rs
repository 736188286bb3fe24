//! Object-centric event data (OCEL 2.0): events related to many objects, objects related to
//! each other. Flowsight reads it as events whose business keys are their objects
//! (object type = key kind, object id = key value) and object-to-object relations as key links.

use crate::time::Micros;
use serde_json::{Map, Value};

/// An object-centric event log, in the shape all three OCEL 2.0 encodings share.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ocel {
    /// Events, in the order the file lists them.
    pub events: Vec<OcelEvent>,
    /// Objects, in the order the file lists them.
    pub objects: Vec<OcelObject>,
    /// Times that had no time zone and were read as UTC.
    pub times_assumed_utc: u64,
}

/// An event and the objects it relates to.
#[derive(Debug, Clone, PartialEq)]
pub struct OcelEvent {
    /// Event id.
    pub id: String,
    /// Event type: the activity.
    pub activity: String,
    /// When, UTC µs.
    pub timestamp: Micros,
    /// Event attributes.
    pub attributes: Map<String, Value>,
    /// Related objects with the qualifier of each relation.
    pub objects: Vec<Relation>,
}

/// An object, its attribute values over time and the objects it relates to.
#[derive(Debug, Clone, PartialEq)]
pub struct OcelObject {
    /// Object id.
    pub id: String,
    /// Object type, e.g. `Purchase Order`.
    pub kind: String,
    /// Attribute values with the time each was set (UTC µs).
    pub attributes: Vec<(String, Micros, Value)>,
    /// Related objects with qualifiers.
    pub objects: Vec<Relation>,
}

/// A qualified relation to an object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Relation {
    /// The related object's id.
    pub object: String,
    /// What the relation means (may be empty).
    pub qualifier: String,
}

impl Ocel {
    /// Number of event-to-object relations.
    pub fn e2o_count(&self) -> usize {
        self.events.iter().map(|e| e.objects.len()).sum()
    }

    /// Number of object-to-object relations.
    pub fn o2o_count(&self) -> usize {
        self.objects.iter().map(|o| o.objects.len()).sum()
    }
}
