//! The envelope of a message: which field names the event type, which holds the time, the
//! event's own id, the emitting service and the trace and span ids.

use super::fields::{Field, Sample};
use super::shape::Shape;
use serde::Serialize;

/// A field chosen for one role, with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chosen {
    /// The JSON pointer.
    pub pointer: String,
    /// The evidence, in words (`on 100% of messages, 9 values`).
    pub evidence: String,
}

/// The envelope fields found in a sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Envelope {
    /// The event type (activity).
    pub activity: Chosen,
    /// The time.
    pub time: Chosen,
    /// The event's own id, unique per message.
    pub id: Option<Chosen>,
    /// The emitting service.
    pub source: Option<Chosen>,
    /// The W3C trace id.
    pub trace_id: Option<Chosen>,
    /// The span id.
    pub span_id: Option<Chosen>,
    /// The payload object whose members become the event's attributes.
    pub data: Option<String>,
}

impl Envelope {
    /// The pointers the envelope names: none of them is a business key.
    pub fn pointers(&self) -> Vec<&str> {
        [
            Some(&self.activity),
            Some(&self.time),
            self.id.as_ref(),
            self.source.as_ref(),
            self.trace_id.as_ref(),
            self.span_id.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|c| c.pointer.as_str())
        .collect()
    }
}

/// Why no envelope could be found.
#[derive(Debug, Clone, PartialEq)]
pub enum Missing {
    /// No field names the event type.
    Activity(String),
    /// No field holds a time.
    Time(String),
}

/// Names of type fields, best first.
const ACTIVITY_NAMES: [&str; 12] = [
    "type",
    "eventtype",
    "event_type",
    "eventname",
    "event_name",
    "event",
    "messagetype",
    "message_type",
    "@type",
    "name",
    "kind",
    "action",
];
/// Names of time fields, best first.
const TIME_NAMES: [&str; 10] = [
    "time",
    "timestamp",
    "eventtime",
    "event_time",
    "occurredat",
    "occurred_at",
    "ts",
    "createdat",
    "created_at",
    "date",
];
/// Names of event id fields, best first.
const ID_NAMES: [&str; 6] = [
    "id",
    "eventid",
    "event_id",
    "messageid",
    "message_id",
    "uuid",
];
/// Names of service fields, best first.
const SOURCE_NAMES: [&str; 6] = [
    "source",
    "service",
    "producer",
    "origin",
    "application",
    "app",
];
/// Names of payload members, best first.
const DATA_NAMES: [&str; 5] = ["data", "payload", "body", "detail", "attributes"];

/// Finds the envelope of `sample`.
pub fn envelope_of(sample: &Sample) -> Result<Envelope, Missing> {
    let total = sample.messages.len() - sample.not_objects;
    let outside_arrays = || sample.fields.iter().filter(|f| !f.in_array);
    let activity = best(
        outside_arrays().filter(|f| {
            f.presence(total) >= 0.95
                && f.share(Shape::Text) + f.share(Shape::Identifier) >= 0.9
                && f.distinct.len() <= 64.max(total / 10)
                && (f.distinct.len() >= 2 || named(f, &ACTIVITY_NAMES).is_some())
        }),
        &ACTIVITY_NAMES,
    )
    .ok_or_else(|| {
        Missing::Activity(
            "no field names the event type: none is text on 95% of messages with a few distinct values"
                .into(),
        )
    })?;
    let time = best(
        outside_arrays().filter(|f| f.presence(total) >= 0.9 && f.share(Shape::Time) >= 0.95),
        &TIME_NAMES,
    )
    .ok_or_else(|| {
        Missing::Time(
            "no field holds a time on 90% of messages (RFC 3339 text or epoch milliseconds)".into(),
        )
    })?;
    let id = best(
        outside_arrays().filter(|f| {
            f.presence(total) >= 0.9
                && f.distinct.len() == f.occurrences as usize
                && f.share(Shape::Identifier) >= 0.95
        }),
        &ID_NAMES,
    )
    .filter(|f| f.depth == 1 || named(f, &ID_NAMES).is_some());
    let source = outside_arrays()
        .filter(|f| f.presence(total) >= 0.5 && f.share(Shape::Time) == 0.0)
        .filter_map(|f| named(f, &SOURCE_NAMES).map(|rank| (rank, f.depth, f)))
        .min_by_key(|(rank, depth, _)| (*rank, *depth))
        .map(|(_, _, f)| f);
    let hex_field = |shape: Shape, hint: &str| {
        outside_arrays()
            .filter(|f| f.share(shape) >= 0.95 && f.presence(total) >= 0.5)
            .min_by_key(|f| (!f.name.to_ascii_lowercase().contains(hint), f.depth))
    };
    let trace_id = hex_field(Shape::TraceId, "trace");
    let span_id =
        hex_field(Shape::SpanId, "span").filter(|f| f.name.to_ascii_lowercase().contains("span"));
    Ok(Envelope {
        activity: chosen(activity, total, &distinct(activity, "values")),
        time: chosen(time, total, "parse as a time"),
        id: id.map(|f| chosen(f, total, "unique per message")),
        source: source.map(|f| chosen(f, total, &distinct(f, "services"))),
        trace_id: trace_id.map(|f| chosen(f, total, "W3C trace ids")),
        span_id: span_id.map(|f| chosen(f, total, "span ids")),
        data: data_member(sample, total),
    })
}

/// The candidate with the best-known name, then the shallowest, then the most present.
fn best<'a>(candidates: impl Iterator<Item = &'a Field>, names: &[&str]) -> Option<&'a Field> {
    candidates.min_by_key(|f| {
        (
            named(f, names).unwrap_or(names.len()),
            f.depth,
            std::cmp::Reverse(f.messages),
        )
    })
}

/// Where `f`'s name stands in `names`, ignoring case.
fn named(f: &Field, names: &[&str]) -> Option<usize> {
    let lower = f.name.to_ascii_lowercase();
    names.iter().position(|n| *n == lower)
}

/// `f` chosen, with its presence and `what` else speaks for it.
fn chosen(f: &Field, total: usize, what: &str) -> Chosen {
    let presence = (f.presence(total) * 100.0).round();
    Chosen {
        pointer: f.pointer.clone(),
        evidence: format!("on {presence}% of messages, {what}"),
    }
}

/// How many distinct `what` `f` holds, in words.
fn distinct(f: &Field, what: &str) -> String {
    format!("{} distinct {what}", f.distinct.len())
}

/// The top-level member holding most of the payload, if one is named like a payload.
fn data_member(sample: &Sample, total: usize) -> Option<String> {
    let mut best: Option<(u32, usize, &str)> = None;
    for field in sample.fields.iter().filter(|f| f.depth >= 2) {
        let top = field.pointer[1..].split('/').next().unwrap_or_default();
        let Some(rank) = DATA_NAMES.iter().position(|n| n.eq_ignore_ascii_case(top)) else {
            continue;
        };
        let rank_key = (field.messages, std::cmp::Reverse(rank));
        if best.is_none_or(|(messages, r, _)| rank_key > (messages, std::cmp::Reverse(r))) {
            best = Some((field.messages, rank, top));
        }
    }
    let (messages, _, top) = best?;
    (f64::from(messages) >= 0.5 * total as f64).then(|| format!("/{top}"))
}
