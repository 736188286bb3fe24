//! What a single value looks like: an identifier, a time, a trace id, a name or a measure.
//! Key discovery judges a field by the shapes of its values, never by one value alone.

use miner::time::parse_timestamp;
use serde_json::Value;

/// The shape of one scalar value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// A W3C trace id: 32 hex digits.
    TraceId,
    /// A W3C span id: 16 hex digits.
    SpanId,
    /// Identifier-like text: a UUID, a prefixed or numeric id (`ORD-17`, `pay-8c5b`, `4711`).
    Identifier,
    /// A time: RFC 3339 text, or epoch milliseconds between 2000 and 2100.
    Time,
    /// A whole number that is not a time (an id, a count or an amount, by the field's name).
    Integer,
    /// A number with a fraction: an amount or a measure, never a key.
    Fraction,
    /// Text without digits, or with spaces: a name, a word of an enumeration, free text.
    Text,
    /// `true`, `false` or `null`.
    Other,
}

/// Epoch milliseconds of 2000-01-01 and 2100-01-01: numbers between are read as times.
const EPOCH_MS_RANGE: std::ops::Range<i64> = 946_684_800_000..4_102_444_800_000;

/// The shape of a scalar value (objects and arrays are walked by the caller).
pub fn shape_of(value: &Value) -> Shape {
    match value {
        Value::String(text) => shape_of_text(text),
        Value::Number(n) => match n.as_i64() {
            Some(i) if EPOCH_MS_RANGE.contains(&i) => Shape::Time,
            Some(_) => Shape::Integer,
            None if n.as_u64().is_some() => Shape::Integer,
            None => Shape::Fraction,
        },
        _ => Shape::Other,
    }
}

fn shape_of_text(text: &str) -> Shape {
    let hex = |len: usize| text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit());
    if hex(32) {
        return Shape::TraceId;
    }
    if hex(16) && text.bytes().any(|b| b.is_ascii_alphabetic()) {
        return Shape::SpanId;
    }
    if looks_like_time(text) {
        return Shape::Time;
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_:.#/@".contains(c);
    if (1..=80).contains(&text.len())
        && text.chars().all(allowed)
        && text.chars().any(|c| c.is_ascii_digit())
    {
        return Shape::Identifier;
    }
    Shape::Text
}

/// Whether `text` is a timestamp: cheap checks first, since most values are not.
fn looks_like_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 16
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && parse_timestamp(text).is_ok()
}

/// Whether a field's name says it holds an identifier (`orderId`, `order_id`, `orderNumber`,
/// `ref`, `uuid`): whole numbers count as identifiers only in such fields, never amounts.
pub fn is_identifier_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let lower = lower.trim_end_matches('s');
    [
        "id", "number", "no", "nr", "num", "key", "ref", "uuid", "guid",
    ]
    .iter()
    .any(|suffix| lower.ends_with(suffix))
        && !lower.ends_with("paid")
}

/// The business noun a field's name stands for: `orderId`, `order_id`, `orderNumber` and
/// `order.id` all name `order`; `None` for names that say nothing (`id`, `ref`, `key`).
pub fn kind_from_name(name: &str) -> Option<String> {
    let mut words = words_of(name);
    while words.last().is_some_and(|w| {
        [
            "id", "ids", "number", "no", "nr", "num", "key", "ref", "uuid", "guid",
        ]
        .contains(&w.as_str())
    }) {
        words.pop();
    }
    const VAGUE: [&str; 12] = [
        "correlation",
        "reference",
        "related",
        "parent",
        "target",
        "entity",
        "object",
        "aggregate",
        "subject",
        "external",
        "data",
        "value",
    ];
    let noun = words.join("_");
    (!noun.is_empty() && !VAGUE.contains(&noun.as_str())).then_some(noun)
}

/// The lower-case words of a camelCase, snake_case, kebab-case or dotted name.
fn words_of(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            words.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    words.extend((!current.is_empty()).then_some(current));
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_told_apart_by_shape() {
        let cases = [
            (
                json!("9495a748-d14d-8a0d-21db-1087bc03ce68"),
                Shape::Identifier,
            ),
            (json!("a084835f0b11fa43c4fce3fe80288b43"), Shape::TraceId),
            (json!("00f067aa0ba902b7"), Shape::SpanId),
            (json!("pay-1221b313b1"), Shape::Identifier),
            (json!("4711"), Shape::Identifier),
            (json!("2026-01-05T08:03:08.289Z"), Shape::Time),
            (json!(1_767_600_000_000_i64), Shape::Time),
            (json!(4711), Shape::Integer),
            (json!(19.99), Shape::Fraction),
            (json!("PaymentReceivedEvent"), Shape::Text),
            (json!("Jane Doe 2nd"), Shape::Text),
            (json!(true), Shape::Other),
        ];
        for (value, shape) in cases {
            assert_eq!(shape_of(&value), shape, "{value}");
        }
    }

    #[test]
    fn names_give_the_business_noun() {
        assert_eq!(kind_from_name("orderId").as_deref(), Some("order"));
        assert_eq!(kind_from_name("order_id").as_deref(), Some("order"));
        assert_eq!(kind_from_name("orderNumber").as_deref(), Some("order"));
        assert_eq!(kind_from_name("order.id").as_deref(), Some("order"));
        assert_eq!(
            kind_from_name("shipmentIds").as_deref(),
            Some("shipment"),
            "a list of ids names its noun too"
        );
        assert_eq!(kind_from_name("refId"), None);
        assert_eq!(kind_from_name("correlationId"), None);
        assert_eq!(kind_from_name("id"), None);
        assert!(is_identifier_name("orderNumber"));
        assert!(is_identifier_name("ORDER_NO"));
        assert!(!is_identifier_name("amount"));
        assert!(!is_identifier_name("prepaid"));
    }
}
