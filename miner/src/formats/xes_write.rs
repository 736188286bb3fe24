//! Writing XES (IEEE 1849-2016) that pm4py and ProM read: XES namespace and version, the
//! Concept and Time extensions, globals and a classifier, RFC 3339 times with offset.
//!
//! Written as a stream: one case at a time goes out, so an export never holds the log.

use crate::formats::xes::START_TIMESTAMP;
use crate::formats::xml::escape_xml;
use crate::log::{Event, CASE_ATTRIBUTE_PREFIX, END_ATTRIBUTE, XES_TYPES_ATTRIBUTE};
use crate::time::format_timestamp;
use serde_json::Value;
use std::io::{self, Write};

/// Writes an XES document case by case.
pub struct XesWriter<W: Write> {
    out: W,
}

impl<W: Write> XesWriter<W> {
    /// Starts a document on `out`: header, extensions, globals, classifier.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(
            br#"<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849.2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="__INVALID__"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="__INVALID__"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000Z"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="source" value="flowsight"/>
"#,
        )?;
        Ok(Self { out })
    }

    /// Writes one case: its name, its trace attributes (the events' `case:` attributes) and
    /// its events in the order given. An event read from XES is written back with the
    /// attributes and types it was read with; any other event's `source` becomes
    /// `org:resource` (the service that did it) and its id `identity:id`. A step that lasts
    /// (a span, an interval event) is written in pm4py's interval convention: `time:timestamp`
    /// when it ended, `start_timestamp` when it began.
    pub fn write_case(&mut self, name: &str, events: &[Event]) -> io::Result<()> {
        writeln!(
            self.out,
            "  <trace>\n    <string key=\"concept:name\" value=\"{}\"/>",
            escape_xml(name)
        )?;
        let mut written: Vec<&str> = vec!["concept:name"];
        for e in events {
            for (key, value) in &e.attributes {
                let Some(trace_key) = key.strip_prefix(CASE_ATTRIBUTE_PREFIX) else {
                    continue;
                };
                if !written.contains(&trace_key) {
                    written.push(trace_key);
                    write_typed(&mut self.out, trace_key, value, e.xes_type(key), 2)?;
                }
            }
        }
        for e in events {
            self.write_event(e)?;
        }
        writeln!(self.out, "  </trace>")
    }

    fn write_event(&mut self, e: &Event) -> io::Result<()> {
        writeln!(self.out, "    <event>")?;
        writeln!(
            self.out,
            "      <string key=\"concept:name\" value=\"{}\"/>",
            escape_xml(&e.activity)
        )?;
        writeln!(
            self.out,
            "      <date key=\"time:timestamp\" value=\"{}\"/>",
            format_timestamp(e.end().unwrap_or(e.timestamp))
        )?;
        if e.end().is_some() && !e.attributes.contains_key(START_TIMESTAMP) {
            writeln!(
                self.out,
                "      <date key=\"{START_TIMESTAMP}\" value=\"{}\"/>",
                format_timestamp(e.timestamp)
            )?;
        }
        if !e.is_from_xes() {
            writeln!(
                self.out,
                "      <string key=\"org:resource\" value=\"{}\"/>",
                escape_xml(&e.source)
            )?;
            writeln!(
                self.out,
                "      <id key=\"identity:id\" value=\"{}\"/>",
                escape_xml(&e.id)
            )?;
        }
        for (key, value) in &e.attributes {
            let own = matches!(
                key.as_str(),
                "concept:name" | "time:timestamp" | END_ATTRIBUTE | XES_TYPES_ATTRIBUTE
            ) || key.starts_with(CASE_ATTRIBUTE_PREFIX)
                || (!e.is_from_xes() && matches!(key.as_str(), "org:resource" | "identity:id"));
            if !own {
                write_typed(&mut self.out, key, value, e.xes_type(key), 3)?;
            }
        }
        writeln!(self.out, "    </event>")
    }

    /// Closes the document and hands back the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(b"</log>\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Writes one attribute as the type record kept for it says (`date`, `id`; a list's items'
/// keys; a container's members' records) where it fits the value, else typed from its JSON
/// value.
fn write_typed(
    out: &mut impl Write,
    key: &str,
    value: &Value,
    record: Option<&Value>,
    indent: usize,
) -> io::Result<()> {
    let pad = "  ".repeat(indent);
    let list = record.and_then(|r| r.get("list")).and_then(Value::as_array);
    let container = record.and_then(|r| r.get("container"));
    match (record.and_then(Value::as_str), value) {
        (Some(tag @ ("date" | "id")), Value::String(text)) => writeln!(
            out,
            "{pad}<{tag} key=\"{}\" value=\"{}\"/>",
            escape_xml(key),
            escape_xml(text)
        ),
        (_, Value::Array(items)) if list.is_some_and(|l| l.len() == items.len()) => {
            writeln!(
                out,
                "{pad}<list key=\"{}\">\n{pad}  <values>",
                escape_xml(key)
            )?;
            for (item, kept) in items.iter().zip(list.into_iter().flatten()) {
                let item_key = kept.get(0).and_then(Value::as_str).unwrap_or("item");
                write_typed(out, item_key, item, kept.get(1), indent + 2)?;
            }
            writeln!(out, "{pad}  </values>\n{pad}</list>")
        }
        (_, Value::Object(members)) if container.is_some() && !members.contains_key("value") => {
            writeln!(out, "{pad}<container key=\"{}\">", escape_xml(key))?;
            for (k, v) in members {
                write_typed(out, k, v, container.and_then(|c| c.get(k)), indent + 1)?;
            }
            writeln!(out, "{pad}</container>")
        }
        _ => write_attribute(out, key, value, indent),
    }
}

/// Writes one attribute, typed from its JSON value: arrays as `<list>`, objects as
/// `<container>` (an object with a `value` and other members as that value with children).
fn write_attribute(
    out: &mut impl Write,
    key: &str,
    value: &Value,
    indent: usize,
) -> io::Result<()> {
    let pad = "  ".repeat(indent);
    let scalar = |v: &Value| -> Option<(&'static str, String)> {
        Some(match v {
            Value::Bool(b) => ("boolean", b.to_string()),
            Value::Number(n) if n.is_i64() || n.is_u64() => ("int", n.to_string()),
            Value::Number(n) => ("float", n.to_string()),
            Value::String(s) => ("string", s.clone()),
            _ => return None,
        })
    };
    match value {
        Value::Null => Ok(()),
        Value::Array(items) => {
            writeln!(
                out,
                "{pad}<list key=\"{}\">\n{pad}  <values>",
                escape_xml(key)
            )?;
            for item in items {
                write_attribute(out, "item", item, indent + 2)?;
            }
            writeln!(out, "{pad}  </values>\n{pad}</list>")
        }
        Value::Object(members) => {
            let own = members.get("value").and_then(scalar);
            let (tag, text) = own.clone().unwrap_or(("container", String::new()));
            let value_attr = if own.is_some() {
                format!(" value=\"{}\"", escape_xml(&text))
            } else {
                String::new()
            };
            writeln!(out, "{pad}<{tag} key=\"{}\"{value_attr}>", escape_xml(key))?;
            for (k, v) in members {
                if own.is_none() || k != "value" {
                    write_attribute(out, k, v, indent + 1)?;
                }
            }
            writeln!(out, "{pad}</{tag}>")
        }
        v => {
            let (tag, text) = scalar(v).expect("scalars");
            writeln!(
                out,
                "{pad}<{tag} key=\"{}\" value=\"{}\"/>",
                escape_xml(key),
                escape_xml(&text)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::xes::read_xes;
    use crate::log::BusinessKey;
    use serde_json::json;

    #[test]
    fn what_is_written_reads_back_with_types_and_escapes() {
        let event = Event {
            id: "e<1>".into(),
            activity: "Pay & \"ship\"".into(),
            timestamp: 1_767_600_000_123_000,
            source: "payment".into(),
            keys: vec![BusinessKey::new("order", "1")],
            trace_id: None,
            span_id: None,
            attributes:
                json!({"amount": 12, "rate": 0.5, "paid": true, "note": "a\nb", "items": [1, 2], "box": {"w": 2, "label": {"value": "x", "lang": "en"}}})
                    .as_object()
                    .unwrap()
                    .clone(),
        };
        let mut w = XesWriter::new(Vec::new()).unwrap();
        w.write_case("order=1", std::slice::from_ref(&event))
            .unwrap();
        let bytes = w.finish().unwrap();
        let mut seen = Vec::new();
        read_xes(bytes.as_slice(), |t| {
            assert_eq!(t.get("concept:name").unwrap().value, "order=1");
            for e in t.events() {
                seen = e
                    .attributes()
                    .map(|a| (a.key.to_string(), a.kind.tag(), a.value.to_string()))
                    .collect();
                assert_eq!(
                    e.get("time:timestamp").unwrap().micros,
                    Some(event.timestamp)
                );
            }
            Ok(())
        })
        .unwrap();
        let find = |k: &str| seen.iter().find(|(key, _, _)| key == k).cloned().unwrap();
        assert_eq!(find("concept:name").2, "Pay & \"ship\"");
        assert_eq!(find("identity:id").2, "e<1>");
        assert_eq!(find("amount").1, "int");
        assert_eq!(find("rate").1, "float");
        assert_eq!(find("paid"), ("paid".into(), "boolean", "true".into()));
        assert_eq!(find("note").2, "a\nb");
        let mut nested = Vec::new();
        read_xes(bytes.as_slice(), |t| {
            nested = t.events().next().unwrap().json_attributes();
            Ok(())
        })
        .unwrap();
        let get = |k: &str| {
            nested
                .iter()
                .find(|(key, _)| key == k)
                .unwrap_or_else(|| panic!("{k} in {nested:?}\n{}", String::from_utf8_lossy(&bytes)))
                .1
                .clone()
        };
        assert_eq!(get("items"), json!([1, 2]));
        assert_eq!(
            get("box"),
            json!({"w": 2, "label": {"value": "x", "lang": "en"}})
        );
    }
}
