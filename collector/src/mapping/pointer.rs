//! JSON pointer (RFC 6901) lookups without allocating: a source maps every message through
//! several pointers, and unescaping each token into a new string showed in its profile.

use serde_json::Value;
use std::borrow::Cow;

/// The value `pointer` names in `value`, as [`Value::pointer`] finds it.
pub fn lookup<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        return Some(value);
    }
    let tokens = pointer.strip_prefix('/')?;
    tokens.split('/').try_fold(value, |target, token| {
        let token = unescape(token);
        match target {
            Value::Object(map) => map.get(token.as_ref()),
            Value::Array(list) => index(&token).and_then(|i| list.get(i)),
            _ => None,
        }
    })
}

/// Calls `found` with every value `pointer` names in `value`, where a `*` token stands for
/// every element of an array (`/data/lines/*/orderId`): how key rules reach ids in lists. A
/// pointer without `*` names at most one value, as [`lookup`] finds it.
pub fn lookup_all<'v>(value: &'v Value, pointer: &str, found: &mut impl FnMut(&'v Value)) {
    let Some((before, after)) = pointer.split_once("/*") else {
        if let Some(v) = lookup(value, pointer) {
            found(v);
        }
        return;
    };
    if !after.is_empty() && !after.starts_with('/') {
        if let Some(v) = lookup(value, pointer) {
            found(v);
        }
        return;
    }
    match lookup(value, before) {
        Some(Value::Array(elements)) => {
            for element in elements {
                lookup_all(element, after, found);
            }
        }
        Some(Value::Object(members)) => {
            if let Some(v) = members.get("*") {
                lookup_all(v, after, found);
            }
        }
        _ => {}
    }
}

/// A reference token with `~1` and `~0` decoded (only tokens holding `~` are copied).
pub fn unescape(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// `name` as a reference token: `~` and `/` encoded as `~0` and `~1`.
pub fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// An array index as RFC 6901 spells it: digits, no leading zero.
fn index(token: &str) -> Option<usize> {
    if token.is_empty() || (token.len() > 1 && token.starts_with('0')) || token.starts_with('+') {
        return None;
    }
    token.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_what_serde_json_finds() {
        let doc = json!({"a": {"b/c": [10, {"d~e": 1}], "": 2}, "0": 3, "list": [1, 2]});
        for pointer in [
            "",
            "/a",
            "/a/b~1c",
            "/a/b~1c/0",
            "/a/b~1c/1/d~0e",
            "/a/",
            "/0",
            "/list/1",
            "/list/01",
            "/list/+1",
            "/list/9",
            "/missing",
            "/a/b~1c/x",
            "a",
            "/list/-",
        ] {
            assert_eq!(lookup(&doc, pointer), doc.pointer(pointer), "{pointer:?}");
        }
    }

    #[test]
    fn a_star_names_every_element_of_an_array() {
        let doc = json!({
            "ids": ["a", "b"],
            "lines": [{"order": 1}, {"order": 2}, {"other": 3}],
            "map": {"*": "member named star"},
            "x*": "literal"
        });
        let all = |pointer: &str| {
            let mut found = Vec::new();
            lookup_all(&doc, pointer, &mut |v| found.push(v.clone()));
            found
        };
        assert_eq!(all("/ids/*"), vec![json!("a"), json!("b")]);
        assert_eq!(all("/lines/*/order"), vec![json!(1), json!(2)]);
        assert_eq!(all("/map/*"), vec![json!("member named star")]);
        assert_eq!(all("/x*"), vec![json!("literal")]);
        assert_eq!(all("/ids/0"), vec![json!("a")]);
        assert!(all("/missing/*").is_empty());
    }
}
