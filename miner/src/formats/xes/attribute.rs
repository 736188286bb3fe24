//! The attributes of XES elements: the `name="value"` pairs of a tag, read by hand on the
//! hot path, and a typed attribute element checked and kept as ranges of the trace's text.

use super::{AttrKind, RawAttr, XesSummary};
use crate::time::{parse_timestamp, Micros, Zone};
use quick_xml::events::BytesStart;
use std::ops::Range;

/// Where an attribute's part went in the trace's text, if the element had it.
type Span = Option<Range<usize>>;

/// Splits the next `name="value"` (or single-quoted) pair off the attribute part of a tag:
/// `Ok(None)` at the end, the raw (still escaped) value otherwise. Hand-written because it is
/// the hottest loop of an import and needs none of the general machinery.
#[allow(clippy::type_complexity)]
pub(super) fn next_xml_attribute(
    input: &[u8],
) -> Result<Option<(&[u8], &[u8], &[u8])>, &'static str> {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = match input.iter().position(|b| !is_space(b)) {
        None => return Ok(None),
        Some(i) if input[i] == b'/' => return Ok(None),
        Some(i) => i,
    };
    let input = &input[start..];
    let eq = memchr::memchr(b'=', input).ok_or("attribute without a value")?;
    let name = input[..eq].trim_ascii_end();
    if name.is_empty() || name.iter().any(is_space) {
        return Err("attribute without a name or value");
    }
    let after_eq = input[eq + 1..].trim_ascii_start();
    let quote = *after_eq.first().ok_or("attribute value missing")?;
    if quote != b'"' && quote != b'\'' {
        return Err("attribute value not quoted");
    }
    let end = memchr::memchr(quote, &after_eq[1..]).ok_or("unterminated attribute value")?;
    Ok(Some((name, &after_eq[1..1 + end], &after_eq[end + 2..])))
}

/// A `scope` of `<global>` or `<classifier>` must be `trace` or `event` (absent means `event`):
/// any other value leaves it unclear what the declaration applies to.
pub(super) fn check_scope(e: &BytesStart<'_>, element: &str) -> Result<(), String> {
    let content: &[u8] = e;
    let mut rest = &content[e.name().as_ref().len()..];
    while let Some((name, value, after)) = next_xml_attribute(rest)
        .map_err(|err| format!("malformed attribute in <{element}>: {err}"))?
    {
        rest = after;
        if name == b"scope" && value != b"trace" && value != b"event" {
            return Err(format!(
                "<{element}> scope {:?} is not \"trace\" or \"event\"",
                String::from_utf8_lossy(value)
            ));
        }
    }
    Ok(())
}

/// Where the `key` and `value` attributes of `e` went in `text` (unescaped), if present.
fn key_and_value(
    e: &BytesStart<'_>,
    kind: AttrKind,
    text: &mut String,
) -> Result<(Span, Span), String> {
    let mut key = None;
    let mut value = None;
    let content: &[u8] = e;
    let mut rest = &content[e.name().as_ref().len()..];
    while let Some((name, raw, after)) = next_xml_attribute(rest)
        .map_err(|err| format!("malformed attribute in <{}>: {err}", kind.tag()))?
    {
        rest = after;
        let slot = match name {
            b"key" => &mut key,
            b"value" => &mut value,
            _ => continue,
        };
        let start = text.len();
        let v =
            std::str::from_utf8(raw).map_err(|_| format!("<{}> value is not UTF-8", kind.tag()))?;
        if memchr::memchr(b'&', raw).is_some() {
            let unescaped = quick_xml::escape::unescape(v)
                .map_err(|err| format!("bad escape in <{}>: {err}", kind.tag()))?;
            text.push_str(&unescaped);
        } else {
            text.push_str(v);
        }
        *slot = Some(start..text.len());
    }
    Ok((key, value))
}

/// Checks that `raw` is a value of `kind`; a date's time, counting it in `summary` when it
/// had no zone. The error says what the value is not.
fn checked_value(
    kind: AttrKind,
    raw: &str,
    summary: &mut XesSummary,
) -> Result<Option<Micros>, &'static str> {
    match kind {
        AttrKind::Date => {
            let (t, zone) = parse_timestamp(raw).map_err(|_| "a valid date")?;
            if zone == Zone::AssumedUtc {
                summary.dates_assumed_utc += 1;
            }
            return Ok(Some(t));
        }
        AttrKind::Int => {
            raw.trim().parse::<i64>().map_err(|_| "an integer")?;
        }
        AttrKind::Float => {
            raw.trim().parse::<f64>().map_err(|_| "a number")?;
        }
        AttrKind::Boolean
            if !matches!(
                raw.trim(),
                "true" | "false" | "TRUE" | "FALSE" | "True" | "False" | "1" | "0"
            ) =>
        {
            return Err("true or false");
        }
        _ => {}
    }
    Ok(None)
}

pub(super) fn read_attribute(
    e: &BytesStart<'_>,
    kind: AttrKind,
    depth: u8,
    text: &mut String,
    summary: &mut XesSummary,
) -> Result<RawAttr, String> {
    let (key, value) = key_and_value(e, kind, text)?;
    // Values inside lists and containers are often written without keys (OpenXES does this
    // for meta attributes); top-level attributes need one.
    let key = match key {
        Some(k) => k,
        None if depth > 0 => text.len()..text.len(),
        None => return Err(format!("<{}> has no key", kind.tag())),
    };
    let value = match (value, kind) {
        (Some(v), _) => v,
        (None, AttrKind::List | AttrKind::Container) => text.len()..text.len(),
        (None, _) => {
            return Err(format!(
                "<{} key=\"{}\"> has no value",
                kind.tag(),
                &text[key]
            ))
        }
    };
    let raw = &text[value.clone()];
    let bad = |what: &str| {
        format!(
            "<{} key=\"{}\"> value {raw:?} is not {what}",
            kind.tag(),
            &text[key.clone()]
        )
    };
    let micros = checked_value(kind, raw, summary).map_err(bad)?;
    Ok(RawAttr {
        kind,
        key,
        value,
        micros,
        depth,
    })
}
