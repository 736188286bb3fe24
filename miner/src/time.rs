//! Time inside Flowsight: UTC microseconds since the Unix epoch (`i64`), converted only at the edges.

use crate::MinerError;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// A point in time: microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

/// Microseconds in one second, for readable arithmetic.
pub const SECOND: Micros = 1_000_000;
/// Microseconds in one minute.
pub const MINUTE: Micros = 60 * SECOND;
/// Microseconds in one hour.
pub const HOUR: Micros = 60 * MINUTE;
/// Microseconds in one day.
pub const DAY: Micros = 24 * HOUR;

/// How a timestamp was read: with an explicit offset, or assumed to be UTC because it had none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The text carried a zone or offset.
    Explicit,
    /// The text had no zone; it was read as UTC (importers report this).
    AssumedUtc,
}

/// Parses an RFC 3339 / ISO 8601 timestamp into UTC microseconds.
///
/// Accepts a `Z` or `±hh:mm` offset, fractional seconds of any length, a space instead of `T`,
/// and no offset at all (then the time is taken as UTC and [`Zone::AssumedUtc`] is returned so
/// the caller can tell the user).
pub fn parse_timestamp(text: &str) -> Result<(Micros, Zone), MinerError> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok((t.timestamp_micros(), Zone::Explicit));
    }
    let normalized = text.replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&normalized) {
        return Ok((t.timestamp_micros(), Zone::Explicit));
    }
    if let Ok(t) = DateTime::parse_from_str(&normalized, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Ok((t.timestamp_micros(), Zone::Explicit));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&normalized, format) {
            return Ok((t.and_utc().timestamp_micros(), Zone::AssumedUtc));
        }
    }
    Err(MinerError::Timestamp {
        value: text.to_string(),
    })
}

/// The current time, UTC microseconds: when a report was made, or "now" for live data.
pub fn now_micros() -> Micros {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as Micros)
}

/// Formats UTC microseconds as RFC 3339 with millisecond precision, e.g.
/// `2026-01-05T08:00:00.000Z`, or with microseconds when the time has them
/// (`2026-01-05T08:00:00.000250Z`), so that no export loses precision.
pub fn format_timestamp(t: Micros) -> String {
    let digits = if t % 1000 == 0 {
        SecondsFormat::Millis
    } else {
        SecondsFormat::Micros
    };
    DateTime::<Utc>::from_timestamp_micros(t)
        .map(|d| d.to_rfc3339_opts(digits, true))
        .unwrap_or_else(|| format!("{t}µs"))
}

/// Formats a duration for people: `850ms`, `42s`, `7m 5s`, `3h 12m`, `2d 4h`.
pub fn format_duration(d: Micros) -> String {
    let sign = if d < 0 { "-" } else { "" };
    let d = d.unsigned_abs();
    let (s, m, h, day) = (SECOND as u64, MINUTE as u64, HOUR as u64, DAY as u64);
    let text = if d < s {
        format!("{}ms", d / 1000)
    } else if d < m {
        format!("{}s", d / s)
    } else if d < h {
        format!("{}m {}s", d / m, (d % m) / s)
    } else if d < day {
        format!("{}h {}m", d / h, (d % h) / m)
    } else {
        format!("{}d {}h", d / day, (d % day) / h)
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_fractions_and_zoneless_times() {
        let (z, zone) = parse_timestamp("2010-12-30T14:32:00.000+01:00").unwrap();
        assert_eq!(zone, Zone::Explicit);
        assert_eq!(format_timestamp(z), "2010-12-30T13:32:00.000Z");
        assert_eq!(format_timestamp(z + 250), "2010-12-30T13:32:00.000250Z");
        assert_eq!(format_timestamp(z - 1), "2010-12-30T13:31:59.999999Z");
        let (u, zone) = parse_timestamp("2010-12-30T13:32:00").unwrap();
        assert_eq!(zone, Zone::AssumedUtc);
        assert_eq!(u, z);
        let (s, _) = parse_timestamp("2010-12-30 13:32:00.5Z").unwrap();
        assert_eq!(s, z + SECOND / 2);
        let (c, _) = parse_timestamp("2010-12-30T14:32:00+0100").unwrap();
        assert_eq!(c, z);
    }

    #[test]
    fn rejects_garbage_naming_the_value() {
        let err = parse_timestamp("yesterday").unwrap_err().to_string();
        assert!(err.contains("\"yesterday\""), "{err}");
    }

    #[test]
    fn formats_durations_in_human_units() {
        assert_eq!(format_duration(850 * 1000), "850ms");
        assert_eq!(format_duration(42 * SECOND), "42s");
        assert_eq!(format_duration(7 * MINUTE + 5 * SECOND), "7m 5s");
        assert_eq!(format_duration(3 * HOUR + 12 * MINUTE), "3h 12m");
        assert_eq!(format_duration(2 * DAY + 4 * HOUR), "2d 4h");
        assert_eq!(format_duration(-90 * SECOND), "-1m 30s");
    }
}
