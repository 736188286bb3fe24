//! An XES document as the columnar [`EventLog`] that discovery runs over.

use super::{read_xes, XesSummary, START_TIMESTAMP};
use crate::log::{EventLog, EventLogBuilder, Lifecycle};
use crate::MinerError;
use std::io::Read;

/// Reads an XES document into a columnar [`EventLog`] with pm4py's conventions: a case per
/// `<trace>` named by its `concept:name`, an event per `<event>` with activity `concept:name`
/// and time `time:timestamp`, events ordered by time within a case.
pub fn read_event_log<R: Read>(input: R) -> Result<(EventLog, XesSummary), MinerError> {
    let mut builder = EventLogBuilder::new();
    let summary = read_xes(input, |trace| {
        let name = trace.get("concept:name").map(|a| a.value).unwrap_or("");
        builder.start_case(name);
        for event in trace.events() {
            let mut activity = "";
            let (mut time, mut start) = (None, None);
            let mut transition = None;
            for a in event.attributes() {
                match a.key {
                    "concept:name" => activity = a.value,
                    "time:timestamp" => time = a.micros,
                    START_TIMESTAMP => start = a.micros,
                    "lifecycle:transition" => transition = Some(a.value),
                    _ => {}
                }
            }
            match (start, time) {
                (Some(start), Some(end)) => {
                    builder.push_interval(activity, start, end, Lifecycle::parse(transition))
                }
                _ => builder.push_transition(activity, time, Lifecycle::parse(transition)),
            }
        }
        Ok(())
    })?;
    Ok((builder.build(), summary))
}
