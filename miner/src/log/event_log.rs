//! A columnar event log: interned activity ids and timestamps grouped by case.
//!
//! This is the shape discovery wants: no strings per event, contiguous slices per case,
//! so that a 262,000-event log fits in a few megabytes and one pass computes everything.

use crate::time::Micros;
use rustc_hash::FxHashMap;

/// The lifecycle transition an event records (XES `lifecycle:transition`): an activity instance
/// that starts and later completes has a service time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lifecycle {
    /// The activity began.
    Start,
    /// The activity finished (also what an event without a transition means).
    #[default]
    Complete,
    /// Any other transition (schedule, suspend, …).
    Other,
}

impl Lifecycle {
    /// Reads a transition name, case-insensitively; absent means complete.
    pub fn parse(text: Option<&str>) -> Self {
        match text.map(str::trim) {
            None => Self::Complete,
            Some(t) if t.eq_ignore_ascii_case("complete") => Self::Complete,
            Some(t) if t.eq_ignore_ascii_case("start") => Self::Start,
            Some(_) => Self::Other,
        }
    }
}

/// Maps activity names to dense `u32` ids and back.
#[derive(Debug, Clone, Default)]
pub struct ActivityInterner {
    names: Vec<String>,
    ids: FxHashMap<String, u32>,
}

impl ActivityInterner {
    /// The id of `name`, assigning the next free id the first time a name is seen.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The name behind `id`.
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// All names, indexed by id.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// How many distinct activities there are.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no activity has been seen yet.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Cases of events, each case ordered by time (ties keep their original order).
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    activities: ActivityInterner,
    case_names: Vec<String>,
    case_offsets: Vec<usize>,
    activity: Vec<u32>,
    timestamp: Vec<Option<Micros>>,
    lifecycle: Vec<Lifecycle>,
    end: Vec<Option<Micros>>,
}

/// One case of an [`EventLog`], borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    /// The case identifier (XES trace `concept:name`, or an instance label).
    pub name: &'a str,
    /// Activity ids in time order.
    pub activities: &'a [u32],
    /// Timestamps in the same order; `None` where the source gave none.
    pub timestamps: &'a [Option<Micros>],
    /// Lifecycle transitions in the same order.
    pub lifecycles: &'a [Lifecycle],
    /// For an interval event (one that records when it started and when it completed), its
    /// completion; its timestamp is then its start. `None` for an instant event.
    pub ends: &'a [Option<Micros>],
}

impl EventLog {
    /// Number of cases.
    pub fn case_count(&self) -> usize {
        self.case_names.len()
    }

    /// Number of events over all cases.
    pub fn event_count(&self) -> usize {
        self.activity.len()
    }

    /// The activity names and ids used in this log.
    pub fn activities(&self) -> &ActivityInterner {
        &self.activities
    }

    /// The cases in the order they were added.
    pub fn cases(&self) -> impl Iterator<Item = Case<'_>> + '_ {
        (0..self.case_count()).map(|i| self.case(i))
    }

    /// The activity names of case number `i`, in order.
    pub fn activity_names(&self, i: usize) -> Vec<&str> {
        self.case(i)
            .activities
            .iter()
            .map(|&a| self.activities.name(a))
            .collect()
    }

    /// Case number `i`.
    pub fn case(&self, i: usize) -> Case<'_> {
        let range = self.case_offsets[i]..self.case_offsets[i + 1];
        Case {
            name: &self.case_names[i],
            activities: &self.activity[range.clone()],
            timestamps: &self.timestamp[range.clone()],
            lifecycles: &self.lifecycle[range.clone()],
            ends: &self.end[range],
        }
    }
}

/// Builds an [`EventLog`] case by case, sorting each case's events by time when it closes.
#[derive(Debug, Default)]
pub struct EventLogBuilder {
    log: EventLog,
    open: bool,
}

impl EventLogBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        let mut builder = Self::default();
        builder.log.case_offsets.push(0);
        builder
    }

    /// Starts a new case; a case still open is closed first.
    pub fn start_case(&mut self, name: impl Into<String>) {
        self.end_case();
        self.log.case_names.push(name.into());
        self.open = true;
    }

    /// Adds a (completion) event to the open case.
    pub fn push_event(&mut self, activity: &str, timestamp: Option<Micros>) {
        self.push_transition(activity, timestamp, Lifecycle::Complete);
    }

    /// Adds an event with its lifecycle transition to the open case.
    pub fn push_transition(
        &mut self,
        activity: &str,
        timestamp: Option<Micros>,
        lifecycle: Lifecycle,
    ) {
        self.push(activity, timestamp, lifecycle, None);
    }

    /// Adds an interval event to the open case: one that records when it started (`start`)
    /// and when it completed (`end`), as pm4py's `start_timestamp` beside `time:timestamp`.
    pub fn push_interval(
        &mut self,
        activity: &str,
        start: Micros,
        end: Micros,
        lifecycle: Lifecycle,
    ) {
        self.push(activity, Some(start), lifecycle, Some(end));
    }

    fn push(
        &mut self,
        activity: &str,
        timestamp: Option<Micros>,
        lifecycle: Lifecycle,
        end: Option<Micros>,
    ) {
        let id = self.log.activities.intern(activity);
        self.log.activity.push(id);
        self.log.timestamp.push(timestamp);
        self.log.lifecycle.push(lifecycle);
        self.log.end.push(end);
    }

    /// Closes the open case, ordering its events by timestamp, then (for interval events,
    /// whose timestamp is their start) by completion, as pm4py orders them; stable, events
    /// without a timestamp last.
    pub fn end_case(&mut self) {
        if !self.open {
            return;
        }
        self.open = false;
        let start = *self.log.case_offsets.last().expect("offsets start with 0");
        let end = self.log.activity.len();
        let key = |i: usize| {
            let t = self.log.timestamp[i];
            (t.is_none(), t, self.log.end[i].or(t))
        };
        if (start + 1..end).any(|i| key(i - 1) > key(i)) {
            let mut order: Vec<usize> = (start..end).collect();
            order.sort_by_key(|&i| key(i));
            let activities: Vec<u32> = order.iter().map(|&i| self.log.activity[i]).collect();
            let timestamps: Vec<Option<Micros>> =
                order.iter().map(|&i| self.log.timestamp[i]).collect();
            let lifecycles: Vec<Lifecycle> = order.iter().map(|&i| self.log.lifecycle[i]).collect();
            let ends: Vec<Option<Micros>> = order.iter().map(|&i| self.log.end[i]).collect();
            self.log.activity[start..end].copy_from_slice(&activities);
            self.log.timestamp[start..end].copy_from_slice(&timestamps);
            self.log.lifecycle[start..end].copy_from_slice(&lifecycles);
            self.log.end[start..end].copy_from_slice(&ends);
        }
        self.log.case_offsets.push(end);
    }

    /// Finishes the log.
    pub fn build(mut self) -> EventLog {
        self.end_case();
        self.log
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_each_case_by_time_keeping_ties_in_file_order() {
        let mut b = EventLogBuilder::new();
        b.start_case("c1");
        b.push_event("b", Some(20));
        b.push_event("a", Some(10));
        b.push_event("x", Some(20));
        b.push_event("n", None);
        b.push_event("c", Some(30));
        b.start_case("c2");
        b.push_event("a", Some(5));
        let log = b.build();
        assert_eq!(log.case_count(), 2);
        assert_eq!(log.event_count(), 6);
        let names = |c: Case| -> Vec<String> {
            c.activities
                .iter()
                .map(|&a| log.activities().name(a).to_string())
                .collect()
        };
        assert_eq!(names(log.case(0)), ["a", "b", "x", "c", "n"]);
        assert_eq!(names(log.case(1)), ["a"]);
        assert_eq!(log.activities().len(), 5);
    }

    #[test]
    fn orders_interval_events_by_start_then_completion() {
        let mut b = EventLogBuilder::new();
        b.start_case("c1");
        b.push_interval("late start", 20, 25, Lifecycle::Complete);
        b.push_interval("long", 10, 40, Lifecycle::Complete);
        b.push_interval("short", 10, 15, Lifecycle::Complete);
        b.push_event("instant", Some(12));
        let log = b.build();
        assert_eq!(
            log.activity_names(0),
            ["short", "long", "instant", "late start"]
        );
        assert_eq!(log.case(0).ends, [Some(15), Some(40), None, Some(25)]);
    }
}
