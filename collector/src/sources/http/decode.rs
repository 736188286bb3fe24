//! Splitting a request body into items: a JSON array, NDJSON, or one JSON object.

use serde_json::value::RawValue;

/// One item of a request: its position and its raw JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<'a> {
    /// 0-based position in the request.
    pub index: usize,
    /// 1-based line for NDJSON bodies.
    pub line: Option<usize>,
    /// The raw text of the item.
    pub raw: &'a str,
}

/// The body as a whole could not be split into items.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not UTF-8 text.
    #[error("body is not UTF-8 text")]
    NotText,
    /// Starts like a JSON array but is not one.
    #[error("body starts with '[' but is not a JSON array: {0}")]
    BadArray(String),
}

/// Splits `body` into items. A body starting with `[` is a JSON array; otherwise it is one
/// JSON object or newline-delimited JSON (blank lines are skipped). Items are not parsed here
/// beyond what splitting needs, so one bad item never hides the others.
pub fn split_items(body: &[u8]) -> Result<Vec<Item<'_>>, DecodeError> {
    let text = std::str::from_utf8(body).map_err(|_| DecodeError::NotText)?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<&RawValue> =
            serde_json::from_str(text).map_err(|e| DecodeError::BadArray(e.to_string()))?;
        return Ok(items
            .into_iter()
            .enumerate()
            .map(|(index, raw)| Item {
                index,
                line: None,
                raw: raw.get(),
            })
            .collect());
    }
    if trimmed.starts_with('{')
        && serde_json::from_str::<&RawValue>(text).is_ok()
        && text.trim().contains('\n')
    {
        let leading = &text[..text.len() - trimmed.len()];
        let line = 1 + leading.matches('\n').count();
        return Ok(vec![Item {
            index: 0,
            line: Some(line),
            raw: text.trim(),
        }]);
    }
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .enumerate()
        .map(|(index, (line, raw))| Item {
            index,
            line: Some(line + 1),
            raw: raw.trim(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_arrays_ndjson_and_single_objects() {
        let items = split_items(br#" [{"a":1}, 2, {"b":[1,2]}] "#).unwrap();
        assert_eq!(
            items.iter().map(|i| i.raw).collect::<Vec<_>>(),
            [r#"{"a":1}"#, "2", r#"{"b":[1,2]}"#]
        );
        assert_eq!(items[2].index, 2);

        let items = split_items(b"{\"a\":1}\n\nnot json\n{\"c\":3}\n").unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(
            (items[1].index, items[1].line, items[1].raw),
            (1, Some(3), "not json")
        );
        assert_eq!(items[2].line, Some(4));

        let items = split_items(b"{\n  \"a\": 1\n}\n").unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].raw, "{\n  \"a\": 1\n}");
    }

    #[test]
    fn refuses_what_cannot_be_split() {
        assert_eq!(split_items(&[0xff, 0xfe]), Err(DecodeError::NotText));
        assert!(matches!(
            split_items(b"[{\"a\":1},"),
            Err(DecodeError::BadArray(_))
        ));
    }
}
