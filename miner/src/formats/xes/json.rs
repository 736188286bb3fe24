//! An XES trace's or event's attributes as JSON values, and the type records of what JSON
//! cannot hold (dates, ids, a list's item keys), so that an export can write them back.

use super::{AttrKind, RawAttr, XesTrace};
use serde_json::{Map, Value};

/// The attributes of `attrs` from index `from` on that sit below depth `parent` (every
/// top-level one for `None`), each with its key and what `f` makes of it; and the index
/// after them.
fn each<T>(
    trace: &XesTrace,
    attrs: &[RawAttr],
    from: usize,
    parent: Option<u8>,
    f: fn(&XesTrace, &[RawAttr], usize) -> (T, usize),
) -> (Vec<(String, T)>, usize) {
    let mut out = Vec::new();
    let mut j = from;
    while j < attrs.len() && parent.is_none_or(|d| attrs[j].depth > d) {
        let (made, next) = f(trace, attrs, j);
        out.push((trace.text[attrs[j].key.clone()].to_string(), made));
        j = next;
    }
    (out, j)
}

/// The top-level attributes of `attrs` as JSON values, nested ones included.
pub(super) fn json_attributes(trace: &XesTrace, attrs: &[RawAttr]) -> Vec<(String, Value)> {
    each(trace, attrs, 0, None, json_value).0
}

/// The type records of the top-level attributes of `attrs` that need one.
pub(super) fn json_types(trace: &XesTrace, attrs: &[RawAttr]) -> Vec<(String, Value)> {
    each(trace, attrs, 0, None, type_record)
        .0
        .into_iter()
        .filter_map(|(key, record)| Some((key, record?)))
        .collect()
}

/// The type record of `attrs[i]` (see `XesEvent::json_types`), `None` when its JSON value
/// says all; returns the index after its nested attributes.
fn type_record(trace: &XesTrace, attrs: &[RawAttr], i: usize) -> (Option<Value>, usize) {
    let a = &attrs[i];
    let (children, next) = each(trace, attrs, i + 1, Some(a.depth), type_record);
    let record = match a.kind {
        AttrKind::Date | AttrKind::Id if children.is_empty() => Some(Value::from(a.kind.tag())),
        AttrKind::List => {
            let items: Vec<Value> = children
                .into_iter()
                .map(|(key, record)| Value::from(vec![Value::from(key), record.into()]))
                .collect();
            Some(serde_json::json!({ "list": items }))
        }
        AttrKind::Container => {
            let members: Map<String, Value> = children
                .into_iter()
                .filter_map(|(key, record)| Some((key, record?)))
                .collect();
            (!members.is_empty()).then(|| serde_json::json!({ "container": members }))
        }
        _ => None,
    };
    (record, next)
}

/// The JSON value of `attrs[i]` with its nested attributes; returns the index after them.
fn json_value(trace: &XesTrace, attrs: &[RawAttr], i: usize) -> (Value, usize) {
    let a = &attrs[i];
    let raw = &trace.text[a.value.clone()];
    let own = match a.kind {
        AttrKind::Int => raw
            .trim()
            .parse::<i64>()
            .map_or_else(|_| Value::from(raw), Value::from),
        AttrKind::Float => raw
            .trim()
            .parse::<f64>()
            .map_or_else(|_| Value::from(raw), Value::from),
        AttrKind::Boolean => Value::Bool(matches!(raw.trim(), "true" | "TRUE" | "True" | "1")),
        _ => Value::from(raw),
    };
    let (children, next) = each(trace, attrs, i + 1, Some(a.depth), json_value);
    let value = match (a.kind, children.is_empty()) {
        (AttrKind::List, _) => Value::Array(children.into_iter().map(|(_, v)| v).collect()),
        (AttrKind::Container, _) => Value::Object(children.into_iter().collect()),
        (_, true) => own,
        (_, false) => {
            let mut object: Map<String, Value> = children.into_iter().collect();
            object.insert("value".into(), own);
            Value::Object(object)
        }
    };
    (value, next)
}
