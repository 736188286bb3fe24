//! Streaming reader for XES (IEEE 1849) event logs.
//!
//! The reader walks the document once and hands each `<trace>` to a callback as soon as it is
//! complete, so memory stays bounded by the largest trace, not the log. Trace buffers are
//! reused between traces, which keeps the hot path free of per-event allocations.
//!
//! It is strict where a mistake would change the meaning (unknown elements, events outside a
//! trace, malformed dates and numbers: an error naming the element and line) and lenient
//! where the content is still unambiguous (attribute order, missing `xes.version`, no XML
//! namespace). XML entities beyond the five predefined ones are never expanded.

mod attribute;
mod event_log;
mod json;
mod lines;

use crate::time::Micros;
use crate::MinerError;
use attribute::{check_scope, read_attribute};
pub use event_log::read_event_log;
use json::{json_attributes, json_types};
use lines::{element_line, LineCounter};
use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::Reader;
use std::io::Read;
use std::ops::Range;

/// The date attribute with which an event of an interval log records when it started (pm4py's
/// convention; its `time:timestamp` is when it completed). Such an event is read as a step
/// that lasts: it is ordered by its start, then its completion, and has a service time.
pub const START_TIMESTAMP: &str = "start_timestamp";

/// Deepest element nesting accepted; deeper documents are refused (a guard against hostile input).
const MAX_DEPTH: usize = 64;

/// Largest single piece of markup (a tag with its attributes, a text run) accepted, in bytes
/// (give or take one 128 KiB read); a larger one is refused while it is being buffered, so a
/// hostile file cannot exhaust memory.
pub const MAX_ELEMENT_BYTES: usize = 16 << 20;

/// The type of an XES attribute, from its element name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrKind {
    /// `<string>`
    String,
    /// `<date>`; the value was checked to be a valid timestamp.
    Date,
    /// `<int>`
    Int,
    /// `<float>`
    Float,
    /// `<boolean>`
    Boolean,
    /// `<id>`
    Id,
    /// `<list>` (its children are nested attributes)
    List,
    /// `<container>` (its children are nested attributes)
    Container,
}

impl AttrKind {
    fn from_tag(tag: &[u8]) -> Option<Self> {
        Some(match tag {
            b"string" => Self::String,
            b"date" => Self::Date,
            b"int" => Self::Int,
            b"float" => Self::Float,
            b"boolean" => Self::Boolean,
            b"id" => Self::Id,
            b"list" => Self::List,
            b"container" => Self::Container,
            _ => return None,
        })
    }

    /// The XES element name of this kind.
    pub fn tag(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Date => "date",
            Self::Int => "int",
            Self::Float => "float",
            Self::Boolean => "boolean",
            Self::Id => "id",
            Self::List => "list",
            Self::Container => "container",
        }
    }
}

#[derive(Debug, Clone)]
struct RawAttr {
    kind: AttrKind,
    key: Range<usize>,
    value: Range<usize>,
    micros: Option<Micros>,
    /// 0 for an attribute of a trace or event; one more per enclosing attribute.
    depth: u8,
}

/// One attribute of a trace or event, borrowed from the reader's buffers.
#[derive(Debug, Clone, Copy)]
pub struct Attribute<'a> {
    /// Its type.
    pub kind: AttrKind,
    /// Its key, e.g. `concept:name`.
    pub key: &'a str,
    /// Its value as written (unescaped).
    pub value: &'a str,
    /// For dates, the parsed time.
    pub micros: Option<Micros>,
}

/// A complete `<trace>`: its attributes and its events, valid until the callback returns.
#[derive(Debug, Default)]
pub struct XesTrace {
    text: String,
    trace_attrs: Vec<RawAttr>,
    event_attrs: Vec<RawAttr>,
    events: Vec<Range<usize>>,
}

/// One event of an [`XesTrace`].
#[derive(Debug, Clone, Copy)]
pub struct XesEvent<'a> {
    trace: &'a XesTrace,
    attrs: &'a [RawAttr],
}

impl XesTrace {
    fn clear(&mut self) {
        self.text.clear();
        self.trace_attrs.clear();
        self.event_attrs.clear();
        self.events.clear();
    }

    fn view<'a>(&'a self, a: &RawAttr) -> Attribute<'a> {
        Attribute {
            kind: a.kind,
            key: &self.text[a.key.clone()],
            value: &self.text[a.value.clone()],
            micros: a.micros,
        }
    }

    /// The trace's own top-level attribute `key`.
    pub fn get(&self, key: &str) -> Option<Attribute<'_>> {
        find(self, &self.trace_attrs, key)
    }

    /// The trace's own top-level attributes, in document order.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'_>> + '_ {
        self.trace_attrs
            .iter()
            .filter(|a| a.depth == 0)
            .map(|a| self.view(a))
    }

    /// The trace's top-level attributes as JSON values, nested ones included, as
    /// [`XesEvent::json_attributes`] gives an event's.
    pub fn json_attributes(&self) -> Vec<(String, serde_json::Value)> {
        json_attributes(self, &self.trace_attrs)
    }

    /// What [`Self::json_attributes`] cannot tell of the trace's top-level attributes, per
    /// attribute that needs it (see [`XesEvent::json_types`]).
    pub fn json_types(&self) -> Vec<(String, serde_json::Value)> {
        json_types(self, &self.trace_attrs)
    }

    /// The events of the trace, in document order.
    pub fn events(&self) -> impl Iterator<Item = XesEvent<'_>> + '_ {
        self.events.iter().map(|r| XesEvent {
            trace: self,
            attrs: &self.event_attrs[r.clone()],
        })
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether the trace has no events.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

impl<'a> XesEvent<'a> {
    /// The event's top-level attributes as JSON values, nested ones included: a `<list>`
    /// becomes an array of its values, a `<container>` an object, and a typed attribute with
    /// children an object with its own `value` beside them.
    pub fn json_attributes(&self) -> Vec<(String, serde_json::Value)> {
        json_attributes(self.trace, self.attrs)
    }

    /// What [`Self::json_attributes`] cannot tell of the event's top-level attributes, per
    /// attribute that needs it, so that an export can write them back as they were: `"date"`
    /// or `"id"` (JSON holds them as strings); for a list, `{"list": [[key, record], …]}` with
    /// each item's key (JSON arrays have none) and its own record or null; for a container,
    /// `{"container": {key: record}}` for the members that need one.
    pub fn json_types(&self) -> Vec<(String, serde_json::Value)> {
        json_types(self.trace, self.attrs)
    }

    /// The event's top-level attribute `key`.
    pub fn get(&self, key: &str) -> Option<Attribute<'a>> {
        find(self.trace, self.attrs, key)
    }

    /// The event's top-level attributes, in document order.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'a>> + 'a {
        let trace = self.trace;
        self.attrs
            .iter()
            .filter(|a| a.depth == 0)
            .map(move |a| trace.view(a))
    }
}

fn find<'a>(trace: &'a XesTrace, attrs: &[RawAttr], key: &str) -> Option<Attribute<'a>> {
    attrs
        .iter()
        .find(|a| a.depth == 0 && &trace.text[a.key.clone()] == key)
        .map(|a| trace.view(a))
}

/// What a read found besides the traces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XesSummary {
    /// Number of traces.
    pub traces: u64,
    /// Number of events in traces.
    pub events: u64,
    /// Dates that had no time zone and were read as UTC.
    pub dates_assumed_utc: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Log,
    Trace,
    Event,
    Global,
    Extension,
    Classifier,
    Attribute(AttrKind),
    Values,
}

/// Reads an XES document from `input`, calling `on_trace` for every complete trace.
///
/// The callback may fail; its error stops the read and is returned.
pub fn read_xes<R: Read>(
    input: R,
    mut on_trace: impl FnMut(&XesTrace) -> Result<(), MinerError>,
) -> Result<XesSummary, MinerError> {
    let mut reader = Reader::from_reader(LineCounter::new(input));
    reader.config_mut().trim_text(true);
    let mut buf = Vec::with_capacity(1 << 12);
    let mut at = Progress::default();

    loop {
        buf.clear();
        reader.get_mut().since_event = 0;
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| MinerError::Xes {
                line: reader.get_ref().line(),
                message: format!("not well-formed XML: {e}"),
            })?;
        let fail = |message: String| MinerError::Xes {
            line: element_line(reader.get_ref().line(), &event),
            message,
        };
        let mut finish = |scope, at: &mut Progress| {
            close(
                scope,
                &mut at.trace,
                at.event_start,
                &mut at.summary,
                &mut on_trace,
            )
            .map_err(|e| at_line(e, element_line(reader.get_ref().line(), &event)))
        };
        match &event {
            XmlEvent::Start(e) | XmlEvent::Empty(e) => {
                let scope = at.open(e).map_err(fail)?;
                if matches!(event, XmlEvent::Empty(_)) {
                    finish(scope, &mut at)?;
                } else {
                    if at.stack.len() >= MAX_DEPTH {
                        return Err(fail(format!("elements nested deeper than {MAX_DEPTH}")));
                    }
                    at.stack.push(scope);
                }
            }
            XmlEvent::End(_) => {
                let scope = at
                    .stack
                    .pop()
                    .ok_or_else(|| fail("closing tag without opening tag".into()))?;
                finish(scope, &mut at)?;
            }
            XmlEvent::DocType(_) => return Err(fail(
                "document type declarations are not accepted in XES (entity expansion is refused)"
                    .into(),
            )),
            XmlEvent::Eof => {
                if !at.saw_log {
                    return Err(fail("no <log> element: this is not an XES document".into()));
                }
                if !at.stack.is_empty() {
                    return Err(fail("the document ends inside an element".into()));
                }
                return Ok(at.summary);
            }
            _ => {}
        }
    }
}

/// Where the reader stands between two XML events: the open elements, the trace being read,
/// what was counted so far.
#[derive(Default)]
struct Progress {
    stack: Vec<Scope>,
    trace: XesTrace,
    summary: XesSummary,
    saw_log: bool,
    /// Where the current event's attributes begin in the trace's.
    event_start: usize,
}

impl Progress {
    /// The scope element `e` opens where the reader stands (reading its attribute, if it is
    /// one), or why it may not stand there.
    fn open(&mut self, e: &BytesStart<'_>) -> Result<Scope, String> {
        let name = e.local_name();
        let tag = name.as_ref();
        let parent = self.stack.last().copied();
        Ok(match (parent, tag) {
            (None, b"log") if !self.saw_log => {
                self.saw_log = true;
                Scope::Log
            }
            (None, _) => {
                return Err(format!(
                    "the document must hold one <log> element, found <{}>",
                    String::from_utf8_lossy(tag)
                ))
            }
            (Some(Scope::Log), b"trace") => {
                self.trace.clear();
                Scope::Trace
            }
            (Some(Scope::Trace), b"event") => {
                self.event_start = self.trace.event_attrs.len();
                Scope::Event
            }
            (Some(Scope::Log), b"event") => return Err("<event> outside of a <trace>".into()),
            (Some(Scope::Log), b"global") => {
                check_scope(e, "global")?;
                Scope::Global
            }
            (Some(Scope::Log), b"extension") => Scope::Extension,
            (Some(Scope::Log), b"classifier") => {
                check_scope(e, "classifier")?;
                Scope::Classifier
            }
            (Some(Scope::Attribute(AttrKind::List)), b"values") => Scope::Values,
            (Some(p), t) if AttrKind::from_tag(t).is_some() && accepts_attributes(p) => {
                let kind = AttrKind::from_tag(t).expect("checked");
                self.attribute(e, kind)?;
                Scope::Attribute(kind)
            }
            (Some(p), t) => {
                return Err(format!(
                    "unexpected element <{}> inside <{}>",
                    String::from_utf8_lossy(t),
                    scope_name(p)
                ))
            }
        })
    }

    /// Reads attribute element `e` of `kind` into the event or trace it belongs to.
    fn attribute(&mut self, e: &BytesStart<'_>, kind: AttrKind) -> Result<(), String> {
        let depth = self
            .stack
            .iter()
            .filter(|s| matches!(s, Scope::Attribute(_)))
            .count()
            .min(255) as u8;
        let attr = read_attribute(e, kind, depth, &mut self.trace.text, &mut self.summary)?;
        match self
            .stack
            .iter()
            .rev()
            .find(|s| matches!(s, Scope::Event | Scope::Trace | Scope::Log | Scope::Global))
        {
            Some(Scope::Event) => self.trace.event_attrs.push(attr),
            Some(Scope::Trace) => self.trace.trace_attrs.push(attr),
            _ => {}
        }
        Ok(())
    }
}

fn accepts_attributes(scope: Scope) -> bool {
    matches!(
        scope,
        Scope::Log
            | Scope::Trace
            | Scope::Event
            | Scope::Global
            | Scope::Values
            | Scope::Attribute(AttrKind::List | AttrKind::Container)
            | Scope::Attribute(_)
    )
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Log => "log",
        Scope::Trace => "trace",
        Scope::Event => "event",
        Scope::Global => "global",
        Scope::Extension => "extension",
        Scope::Classifier => "classifier",
        Scope::Attribute(k) => k.tag(),
        Scope::Values => "values",
    }
}

/// A callback's error about a trace, placed at the line the trace ends on when the callback
/// could not know the line (it says line 0).
fn at_line(e: MinerError, line: usize) -> MinerError {
    match e {
        MinerError::Xes { line: 0, message } => MinerError::Xes {
            line,
            message: format!("{message} (in the trace that ends on this line)"),
        },
        other => other,
    }
}

fn close(
    scope: Scope,
    trace: &mut XesTrace,
    event_start: usize,
    summary: &mut XesSummary,
    on_trace: &mut impl FnMut(&XesTrace) -> Result<(), MinerError>,
) -> Result<(), MinerError> {
    match scope {
        Scope::Event => {
            trace.events.push(event_start..trace.event_attrs.len());
        }
        Scope::Trace => {
            summary.traces += 1;
            summary.events += trace.events.len() as u64;
            on_trace(trace)?;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests;
