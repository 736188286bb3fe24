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

/// A reference token with `~1` and `~0` decoded (only tokens holding `~` are copied).
fn unescape(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
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
}
