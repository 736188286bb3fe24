//! Reading OCEL 2.0 XML (`.xmlocel`), streaming.

use crate::log::{Ocel, OcelEvent, OcelObject, Relation};
use crate::time::{parse_timestamp, Micros, Zone};
use crate::MinerError;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::Reader;
use serde_json::{Map, Value};
use std::io::BufRead;

/// What is being read.
enum Current {
    None,
    Event(OcelEvent),
    Object(OcelObject),
}

/// What has been read, and the event or object and its attribute being read.
struct Reading {
    ocel: Ocel,
    current: Current,
    /// The attribute being read: name, time, text so far.
    attribute: Option<(String, Option<Micros>, String)>,
}

impl Reading {
    /// An element opens: an event, an object or one of their attributes begins.
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), String> {
        match (e.local_name().as_ref(), &mut self.current) {
            (b"event", Current::None) => {
                let id = required(e, "id")?;
                let time = required(e, "time")?;
                let timestamp =
                    read_time(&time, &mut self.ocel).map_err(|m| format!("event {id}: {m}"))?;
                self.current = Current::Event(OcelEvent {
                    activity: required(e, "type")?,
                    id,
                    timestamp,
                    attributes: Map::new(),
                    objects: Vec::new(),
                });
            }
            (b"object", Current::None) => {
                self.current = Current::Object(OcelObject {
                    id: required(e, "id")?,
                    kind: required(e, "type")?,
                    attributes: Vec::new(),
                    objects: Vec::new(),
                });
            }
            (b"attribute", Current::Event(_) | Current::Object(_)) => {
                let time = match optional(e, "time")? {
                    Some(t) => Some(read_time(&t, &mut self.ocel)?),
                    None => None,
                };
                self.attribute = Some((required(e, "name")?, time, String::new()));
            }
            _ => {}
        }
        Ok(())
    }

    /// A relationship of the event or object being read.
    fn relationship(&mut self, e: &BytesStart<'_>) -> Result<(), String> {
        let relation = Relation {
            object: required(e, "object-id")?,
            qualifier: optional(e, "qualifier")?.unwrap_or_default(),
        };
        match &mut self.current {
            Current::Event(ev) => ev.objects.push(relation),
            Current::Object(o) => o.objects.push(relation),
            Current::None => return Err("<relationship> outside an event or object".into()),
        }
        Ok(())
    }

    /// Text of the attribute being read.
    fn text(&mut self, text: &str) {
        if let Some((_, _, value)) = &mut self.attribute {
            value.push_str(text);
        }
    }

    /// An element closes: an attribute, event or object is complete.
    fn end(&mut self, name: &[u8]) {
        match name {
            b"attribute" => {
                if let Some((name, time, text)) = self.attribute.take() {
                    match &mut self.current {
                        Current::Event(ev) => {
                            ev.attributes.insert(name, Value::String(text));
                        }
                        Current::Object(o) => {
                            o.attributes
                                .push((name, time.unwrap_or(0), Value::String(text)))
                        }
                        Current::None => {}
                    }
                }
            }
            b"event" | b"object" => match std::mem::replace(&mut self.current, Current::None) {
                Current::Event(ev) => self.ocel.events.push(ev),
                Current::Object(o) => self.ocel.objects.push(o),
                Current::None => {}
            },
            _ => {}
        }
    }
}

/// Reads an OCEL 2.0 XML document. Type declarations are skipped: the values are kept as the
/// text they are written as.
pub fn read_ocel_xml<R: BufRead>(input: R) -> Result<Ocel, MinerError> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut reading = Reading {
        ocel: Ocel::default(),
        current: Current::None,
        attribute: None,
    };
    let mut saw_log = false;
    loop {
        buf.clear();
        let position = reader.buffer_position();
        let fail = |message: String| MinerError::Ocel {
            message: format!("{message} (byte {position})"),
        };
        match reader
            .read_event_into(&mut buf)
            .map_err(|e| fail(format!("not well-formed XML: {e}")))?
        {
            XmlEvent::Start(e) | XmlEvent::Empty(e) if !saw_log => {
                if e.local_name().as_ref() != b"log" {
                    return Err(fail("the root element must be <log>".into()));
                }
                saw_log = true;
            }
            XmlEvent::Start(e) => reading.start(&e).map_err(fail)?,
            XmlEvent::Empty(e) if e.local_name().as_ref() == b"relationship" => {
                reading.relationship(&e).map_err(fail)?
            }
            XmlEvent::Text(t) if reading.attribute.is_some() => {
                reading.text(&t.decode().map_err(|e| fail(e.to_string()))?)
            }
            XmlEvent::GeneralRef(r) if reading.attribute.is_some() => {
                let name = r.decode().map_err(|e| fail(e.to_string()))?;
                let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                    .map(str::to_string)
                    .or_else(|| r.resolve_char_ref().ok().flatten().map(String::from));
                reading.text(&resolved.ok_or_else(|| fail(format!("unknown entity &{name};")))?);
            }
            XmlEvent::End(e) => reading.end(e.local_name().as_ref()),
            XmlEvent::DocType(_) => {
                return Err(fail("document type declarations are refused".into()))
            }
            XmlEvent::Eof => {
                if !saw_log {
                    return Err(fail("no <log> element: this is not OCEL 2.0 XML".into()));
                }
                return Ok(reading.ocel);
            }
            _ => {}
        }
    }
}

fn read_time(text: &str, ocel: &mut Ocel) -> Result<Micros, String> {
    let (t, zone) = parse_timestamp(text).map_err(|_| format!("time {text:?} is not ISO 8601"))?;
    if zone == Zone::AssumedUtc {
        ocel.times_assumed_utc += 1;
    }
    Ok(t)
}

fn optional(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|err| {
            format!(
                "malformed attribute in <{}>: {err}",
                String::from_utf8_lossy(e.local_name().as_ref())
            )
        })?;
        if a.key.local_name().as_ref() == name.as_bytes() {
            return a
                .unescape_value()
                .map(|v| Some(v.into_owned()))
                .map_err(|err| err.to_string());
        }
    }
    Ok(None)
}

fn required(e: &BytesStart<'_>, name: &str) -> Result<String, String> {
    optional(e, name)?.ok_or_else(|| {
        format!(
            "<{}> has no {name}",
            String::from_utf8_lossy(e.local_name().as_ref())
        )
    })
}
