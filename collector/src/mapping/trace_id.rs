//! Trace ids in one form, whatever shape a service wrote them in.
//!
//! A span's trace id (OTLP: 16 bytes, 32 lower-case hex digits), the same id in an event's
//! envelope as a UUID with dashes or in upper case, and a W3C `traceparent` must all become
//! the same business key, or the events of one trace never meet. Ids that fit none of the
//! known shapes are kept as written (they still link events that carry the same text) and
//! counted, so an operator can see that some senders' trace ids cannot join spans.

use std::sync::atomic::{AtomicU64, Ordering};

/// Trace ids seen that fit no known shape, since the process started.
static UNNORMALISED: AtomicU64 = AtomicU64::new(0);

/// The trace id in `text` as 32 lower-case hex digits, the OTLP/W3C form. Accepted shapes:
/// 32 hex digits in any case; a UUID with dashes (optionally in braces or after `urn:uuid:`);
/// a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`); a 64-bit id of 16 hex digits
/// (Zipkin, Jaeger), left-padded with zeros as W3C prescribes. The all-zero id is invalid.
pub fn normalize_trace_id(text: &str) -> Option<String> {
    let text = text.trim();
    let parts: Vec<&str> = text.split('-').collect();
    let hex: String = match parts.as_slice() {
        [version, trace, parent, flags]
            if version.len() == 2 && parent.len() == 16 && flags.len() == 2 =>
        {
            (*trace).to_string()
        }
        [_, _, _, _, _] => {
            let uuid = text
                .strip_prefix("urn:uuid:")
                .or_else(|| text.strip_prefix('{').and_then(|t| t.strip_suffix('}')))
                .unwrap_or(text);
            let lengths: Vec<usize> = uuid.split('-').map(str::len).collect();
            if lengths != [8, 4, 4, 4, 12] {
                return None;
            }
            uuid.replace('-', "")
        }
        [whole] if whole.len() == 16 => format!("{:0>32}", whole),
        [whole] => (*whole).to_string(),
        _ => return None,
    };
    let valid = hex.len() == 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && hex.bytes().any(|b| b != b'0');
    valid.then(|| hex.to_ascii_lowercase())
}

/// The trace id to store for `text`: its normal form, or, when it has none, the text as
/// written (counted in [`unnormalised_trace_ids`]). Empty text is no trace id.
pub fn trace_id_of(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return None;
    }
    normalize_trace_id(text).or_else(|| {
        UNNORMALISED.fetch_add(1, Ordering::Relaxed);
        Some(text.trim().to_string())
    })
}

/// How many trace ids fit no known shape since the process started (kept as written, so
/// they cannot join spans of the same trace); served on `/metrics`.
pub fn unnormalised_trace_ids() -> u64 {
    UNNORMALISED.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    #[test]
    fn every_known_shape_of_one_id_normalises_alike() {
        for shape in [
            ID,
            "4BF92F3577B34DA6A3CE929D0E0E4736",
            "4bf92f35-77b3-4da6-a3ce-929d0e0e4736",
            "4BF92F35-77B3-4DA6-A3CE-929D0E0E4736",
            "{4bf92f35-77b3-4da6-a3ce-929d0e0e4736}",
            "urn:uuid:4bf92f35-77b3-4da6-a3ce-929d0e0e4736",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            " 4bf92f3577b34da6a3ce929d0e0e4736\n",
        ] {
            assert_eq!(normalize_trace_id(shape).as_deref(), Some(ID), "{shape}");
        }
    }

    #[test]
    fn a_64_bit_id_is_left_padded() {
        assert_eq!(
            normalize_trace_id("A3CE929D0E0E4736").as_deref(),
            Some("0000000000000000a3ce929d0e0e4736")
        );
    }

    #[test]
    fn other_shapes_are_not_trace_ids() {
        for bad in [
            "",
            "order-4711",
            "00000000000000000000000000000000",
            "00000000-0000-0000-0000-000000000000",
            "4bf92f3577b34da6a3ce929d0e0e473",
            "4bf92f3577b34da6a3ce929d0e0e473g",
            "4bf92f35-77b3-4da6-a3ce929d-0e0e4736",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        ] {
            assert_eq!(normalize_trace_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_unknown_shape_is_kept_as_written_and_counted() {
        let before = unnormalised_trace_ids();
        assert_eq!(trace_id_of(" run-17 ").as_deref(), Some("run-17"));
        assert!(unnormalised_trace_ids() > before);
        assert_eq!(trace_id_of("  "), None);
        assert_eq!(
            trace_id_of("4BF92F35-77B3-4DA6-A3CE-929D0E0E4736").as_deref(),
            Some(ID)
        );
    }
}
