//! Tests of the XES reader.

use super::attribute::next_xml_attribute;
use super::*;

const SMALL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <global scope="event"><string key="concept:name" value="x"/></global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="source" value="test"/>
  <trace>
    <string key="concept:name" value="case &amp; 1"/>
    <event>
      <string key="concept:name" value="b"/>
      <date key="time:timestamp" value="2020-01-01T10:00:00.000+01:00"/>
      <list key="tags"><values><string key="t" value="1"/></values></list>
    </event>
    <event>
      <string key="concept:name" value="a"/>
      <date key="time:timestamp" value="2020-01-01T08:00:00"/>
      <int key="n" value="3"/>
    </event>
  </trace>
  <trace><string key="concept:name" value="2"/></trace>
</log>"#;

#[test]
fn reads_traces_events_and_typed_attributes() {
    let mut seen = Vec::new();
    let summary = read_xes(SMALL.as_bytes(), |t| {
        let events: Vec<Vec<(String, String)>> = t
            .events()
            .map(|e| {
                e.attributes()
                    .map(|a| (a.key.to_string(), a.value.to_string()))
                    .collect()
            })
            .collect();
        seen.push((t.get("concept:name").unwrap().value.to_string(), events));
        Ok(())
    })
    .unwrap();
    assert_eq!(summary.traces, 2);
    assert_eq!(summary.events, 2);
    assert_eq!(summary.dates_assumed_utc, 1);
    assert_eq!(seen[0].0, "case & 1");
    assert_eq!(
        seen[0].1[0].len(),
        3,
        "nested list values are not top-level"
    );
    assert_eq!(seen[0].1[1][2], ("n".to_string(), "3".to_string()));
    assert!(seen[1].1.is_empty());
}

#[test]
fn event_log_orders_by_time_like_pm4py() {
    let (log, _) = read_event_log(SMALL.as_bytes()).unwrap();
    // 10:00+01:00 is 09:00Z, after 08:00 (read as UTC)
    assert_eq!(log.activity_names(0), ["a", "b"]);
}

fn error_of(doc: &str) -> String {
    read_xes(doc.as_bytes(), |_| Ok(()))
        .unwrap_err()
        .to_string()
}

#[test]
fn a_callback_error_without_a_line_gets_the_line_its_trace_ends_on() {
    let doc = "<log>\n<trace>\n<event/>\n</trace>\n</log>";
    let e = read_xes(doc.as_bytes(), |_| {
        Err(MinerError::Xes {
            line: 0,
            message: "no time".into(),
        })
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("line 4") && e.contains("no time"), "{e}");
}

#[test]
fn rejects_broken_documents_naming_element_and_line() {
    let e = error_of("<log>\n<trace>\n<text key=\"a\" value=\"b\"/>\n</trace></log>");
    assert!(e.contains("line 3") && e.contains("<text>"), "{e}");
    let e = error_of("<log>\n<event/>\n</log>");
    assert!(e.contains("line 2") && e.contains("outside"), "{e}");
    let e = error_of("<log>\n\n<date key=\"d\" value=\"2002-0530T09:30:10Z\"/></log>");
    assert!(e.contains("line 3") && e.contains("valid date"), "{e}");
    let e = error_of("<log><int key=\"i\" value=\"x\"/></log>");
    assert!(e.contains("integer"), "{e}");
    let e = error_of("");
    assert!(e.contains("no <log>"), "{e}");
    let e = error_of("<foo/>");
    assert!(e.contains("<foo>"), "{e}");
    let e = error_of("<log><trace>");
    assert!(e.contains("ends inside"), "{e}");
}

#[test]
fn splits_attributes_with_either_quote_and_spacing() {
    let (n, v, rest) = next_xml_attribute(b" key = 'a b' value=\"x&amp;y\"/")
        .unwrap()
        .unwrap();
    assert_eq!((n, v), (&b"key"[..], &b"a b"[..]));
    let (n, v, rest) = next_xml_attribute(rest).unwrap().unwrap();
    assert_eq!((n, v), (&b"value"[..], &b"x&amp;y"[..]));
    assert!(next_xml_attribute(rest).unwrap().is_none());
    assert!(next_xml_attribute(b" key=unquoted").is_err());
    assert!(next_xml_attribute(b" key=\"open").is_err());
    let e = error_of("<log><string key=\"a\" value=\"x&bogus;\"/></log>");
    assert!(e.contains("bad escape"), "{e}");
}

#[test]
fn refuses_entity_declarations_and_deep_nesting() {
    let bomb = "<?xml version=\"1.0\"?><!DOCTYPE log [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;\">]><log><string key=\"k\" value=\"&b;\"/></log>";
    assert!(error_of(bomb).contains("document type"));
    let huge = format!(
        "<log><string key=\"k\" value=\"{}\"/></log>",
        "x".repeat(2 * MAX_ELEMENT_BYTES)
    );
    assert!(
        error_of(&huge).contains("larger than"),
        "gigantic attributes are refused"
    );
    let deep = format!(
        "<log>{}{}</log>",
        "<container key=\"c\">".repeat(200),
        "</container>".repeat(200)
    );
    assert!(error_of(&deep).contains("nested deeper"));
}
