//! The event data the miner works on: single events as they arrive ([`Event`]) and the
//! columnar [`EventLog`] that discovery runs over.

mod event;
mod event_log;
mod ocel;

pub use event::{
    BusinessKey, Event, CASE_ATTRIBUTE_PREFIX, END_ATTRIBUTE, LIFECYCLE_ATTRIBUTE,
    SPAN_KIND_ATTRIBUTE, SPAN_PARENT_ATTRIBUTE, SPAN_PREFIX, SPAN_STATUS_ATTRIBUTE,
    SPAN_STATUS_MESSAGE_ATTRIBUTE, XES_TYPES_ATTRIBUTE,
};
pub use event_log::{ActivityInterner, Case, EventLog, EventLogBuilder, Lifecycle};
pub use ocel::{Ocel, OcelEvent, OcelObject, Relation};
