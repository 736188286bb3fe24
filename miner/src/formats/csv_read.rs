//! Reading event logs from CSV with a column mapping: which column holds the case, the
//! activity, the time (and optionally the resource and a start time). Every other column is
//! kept as an attribute. The delimiter (`,` `;` tab `|`) and the time format are detected
//! from the data unless given; a value that does not fit is an error naming line and column.

use crate::time::{parse_timestamp, Micros};
use crate::MinerError;
use chrono::NaiveDateTime;
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader, Read};

/// Which columns mean what.
#[derive(Debug, Clone, Default)]
pub struct CsvColumns {
    /// The case (process instance) column.
    pub case: String,
    /// The activity column.
    pub activity: String,
    /// The (completion) time column.
    pub timestamp: String,
    /// An optional start time column (kept as the `start_timestamp` attribute, UTC µs).
    pub start_timestamp: Option<String>,
    /// An optional resource column.
    pub resource: Option<String>,
    /// A chrono format for the time columns, e.g. `%d-%m-%Y %H:%M`; detected when absent.
    pub time_format: Option<String>,
}

/// One event read from a CSV record.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvEvent {
    /// 1-based line of the record.
    pub line: u64,
    /// Case id.
    pub case: String,
    /// Activity.
    pub activity: String,
    /// Time, UTC µs.
    pub timestamp: Micros,
    /// Resource, when mapped and non-empty.
    pub resource: Option<String>,
    /// Every other column (numbers as numbers), plus `start_timestamp` when mapped.
    pub attributes: Map<String, Value>,
}

/// Formats tried, in order, when no time format is given. ISO 8601 / RFC 3339 come first.
const DETECTED_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S%.f",
    "%d-%m-%Y %H:%M:%S%.f",
    "%d-%m-%Y %H:%M",
    "%d/%m/%Y %H:%M:%S%.f",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S%.f",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S%.f",
    "%d.%m.%Y %H:%M",
];

/// How time values are read: ISO/RFC 3339, or one chrono format (read as UTC).
#[derive(Debug, Clone)]
enum TimeFormat {
    Iso,
    Pattern(String),
}

impl TimeFormat {
    fn detect(sample: &str) -> Option<Self> {
        if parse_timestamp(sample).is_ok() {
            return Some(Self::Iso);
        }
        DETECTED_FORMATS
            .iter()
            .find(|f| NaiveDateTime::parse_from_str(sample.trim(), f).is_ok())
            .map(|f| Self::Pattern((*f).to_string()))
    }

    fn parse(&self, text: &str) -> Option<Micros> {
        match self {
            Self::Iso => parse_timestamp(text).ok().map(|(t, _)| t),
            Self::Pattern(f) => NaiveDateTime::parse_from_str(text.trim(), f)
                .ok()
                .map(|t| t.and_utc().timestamp_micros()),
        }
    }
}

/// Picks the delimiter that occurs most in the header line.
fn sniff_delimiter(header: &str) -> u8 {
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|&d| header.bytes().filter(|&b| b == d).count())
        .unwrap_or(b',')
}

/// Where the mapped columns stand in the header.
struct Positions {
    case: usize,
    activity: usize,
    time: usize,
    start: Option<usize>,
    resource: Option<usize>,
}

impl Positions {
    /// Finds `columns` in `headers`, naming a missing one and the header there is.
    fn find(headers: &[String], columns: &CsvColumns) -> Result<Self, MinerError> {
        let find = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| MinerError::Csv {
                    line: 1,
                    message: format!("no column {name:?}; the header has {}", headers.join(", ")),
                })
        };
        Ok(Self {
            case: find(&columns.case)?,
            activity: find(&columns.activity)?,
            time: find(&columns.timestamp)?,
            start: columns.start_timestamp.as_deref().map(find).transpose()?,
            resource: columns.resource.as_deref().map(find).transpose()?,
        })
    }

    /// Whether column `i` is one of the mapped ones.
    fn is_mapped(&self, i: usize) -> bool {
        [
            Some(self.case),
            Some(self.activity),
            Some(self.time),
            self.start,
            self.resource,
        ]
        .contains(&Some(i))
    }
}

/// A CSV reader of `input` splitting at the delimiter its header line uses most, and the
/// header's column names (trimmed, without a byte-order mark).
fn open<R: Read>(input: R) -> Result<(csv::Reader<BufReader<R>>, Vec<String>), MinerError> {
    let mut input = BufReader::new(input);
    let header = {
        let buf = input.fill_buf().map_err(|source| MinerError::Io {
            what: "CSV".into(),
            source,
        })?;
        let end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(&header))
        .flexible(false)
        .from_reader(input);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| MinerError::Csv {
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    Ok((reader, headers))
}

/// The record's non-empty cells outside the mapped columns, numbers read as numbers.
fn other_attributes(
    headers: &[String],
    record: &csv::StringRecord,
    at: &Positions,
) -> Map<String, Value> {
    let mut attributes = Map::new();
    for (i, name) in headers.iter().enumerate() {
        let text = record.get(i).unwrap_or("");
        if at.is_mapped(i) || text.is_empty() {
            continue;
        }
        let value = text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| Value::String(text.to_string()));
        attributes.insert(name.clone(), value);
    }
    attributes
}

/// Reads `input` as CSV with a header row, calling `on_event` for each record in file order.
/// Returns the number of events read.
pub fn read_csv<R: Read>(
    input: R,
    columns: &CsvColumns,
    mut on_event: impl FnMut(CsvEvent) -> Result<(), MinerError>,
) -> Result<u64, MinerError> {
    let (mut reader, headers) = open(input)?;
    let at = Positions::find(&headers, columns)?;
    let mut format = columns.time_format.clone().map(TimeFormat::Pattern);

    let mut count = 0;
    for record in reader.records() {
        let record = record.map_err(|e| MinerError::Csv {
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let fail = |message: String| MinerError::Csv { line, message };
        let field = |i: usize| record.get(i).unwrap_or("");
        let mut read_time = |column: usize| -> Result<Micros, MinerError> {
            let text = field(column);
            if format.is_none() {
                format = TimeFormat::detect(text);
            }
            format.as_ref().and_then(|f| f.parse(text)).ok_or_else(|| {
                fail(format!(
                    "column {:?}: {text:?} is not a time in the format of the file",
                    headers[column]
                ))
            })
        };
        let timestamp = read_time(at.time)?;
        let start_time = at
            .start
            .filter(|&s| !field(s).trim().is_empty())
            .map(&mut read_time)
            .transpose()?;
        let case_id = field(at.case).trim();
        let activity_name = field(at.activity).trim();
        if case_id.is_empty() || activity_name.is_empty() {
            return Err(fail(format!(
                "empty {:?} or {:?}",
                headers[at.case], headers[at.activity]
            )));
        }
        let mut attributes = other_attributes(&headers, &record, &at);
        if let Some(s) = start_time {
            attributes.insert("start_timestamp".into(), Value::from(s));
        }
        on_event(CsvEvent {
            line,
            case: case_id.to_string(),
            activity: activity_name.to_string(),
            timestamp,
            resource: at
                .resource
                .map(|r| field(r).trim().to_string())
                .filter(|r| !r.is_empty()),
            attributes,
        })?;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_timestamp;

    fn columns() -> CsvColumns {
        CsvColumns {
            case: "Case ID".into(),
            activity: "Activity".into(),
            timestamp: "Complete".into(),
            start_timestamp: Some("Start".into()),
            resource: Some("Resource".into()),
            time_format: None,
        }
    }

    fn read(text: &str, columns: &CsvColumns) -> Result<Vec<CsvEvent>, MinerError> {
        let mut events = Vec::new();
        read_csv(text.as_bytes(), columns, |e| {
            events.push(e);
            Ok(())
        })?;
        Ok(events)
    }

    #[test]
    fn detects_delimiter_and_time_format_and_keeps_other_columns() {
        let text = "\u{feff}Case ID;Activity;Start;Complete;Resource;Cost;Note\n\
                    c1;Register;30-12-2010 11:02;30-12-2010 11:05;Pete;50;\"a;b\"\n\
                    c1;Decide;;06-01-2011 09:18;;12.5;\n";
        let events = read(text, &columns()).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].case, "c1");
        assert_eq!(
            format_timestamp(events[0].timestamp),
            "2010-12-30T11:05:00.000Z"
        );
        assert_eq!(events[0].resource.as_deref(), Some("Pete"));
        assert_eq!(events[0].attributes["Cost"], 50);
        assert_eq!(events[0].attributes["Note"], "a;b");
        assert_eq!(
            events[0].attributes["start_timestamp"],
            events[0].timestamp - 3 * 60_000_000
        );
        assert_eq!(events[1].attributes["Cost"], 12.5);
        assert_eq!(events[1].resource, None);
        assert_eq!(events[1].line, 3);
    }

    #[test]
    fn reads_iso_times_and_given_formats() {
        let iso = "case,activity,time\n1,a,2020-01-01T10:00:00+01:00\n";
        let c = CsvColumns {
            case: "case".into(),
            activity: "activity".into(),
            timestamp: "time".into(),
            ..Default::default()
        };
        assert_eq!(
            format_timestamp(read(iso, &c).unwrap()[0].timestamp),
            "2020-01-01T09:00:00.000Z"
        );
        let us = "case,activity,time\n1,a,01/02/2020 10:00\n";
        let given = CsvColumns {
            time_format: Some("%m/%d/%Y %H:%M".into()),
            ..c.clone()
        };
        assert_eq!(
            format_timestamp(read(us, &given).unwrap()[0].timestamp),
            "2020-01-02T10:00:00.000Z"
        );
    }

    #[test]
    fn names_line_and_column_of_bad_values() {
        let c = CsvColumns {
            case: "case".into(),
            activity: "activity".into(),
            timestamp: "time".into(),
            ..Default::default()
        };
        let err = read(
            "case,activity,time\n1,a,2020-01-01 10:00:00\n2,b,soon\n",
            &c,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "invalid CSV at line 3: column \"time\": \"soon\" is not a time in the format of the file");
        let err = read("case,act,time\n", &c).unwrap_err().to_string();
        assert!(
            err.contains("no column \"activity\"") && err.contains("line 1"),
            "{err}"
        );
        let err = read("case,activity,time\n1,a\n", &c)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        let err = read("case,activity,time\n,a,2020-01-01T00:00:00Z\n", &c)
            .unwrap_err()
            .to_string();
        assert!(err.contains("empty"), "{err}");
    }
}
