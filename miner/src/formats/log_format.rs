//! Which format an event log file is in: the one answer `import`, `mine`, the Import page and
//! the OCEL reader share, so that no two of them take the same file for different formats.
//!
//! The file name decides (case-insensitive, a `.gz` after a text format's ending ignored),
//! except for `.xml`, which both XES and OCEL 2.0 XML files carry, each with a `<log>` root:
//! there the root's first child decides (OCEL opens with its object or event types, objects or
//! events). A name with no known ending is read as XES, the format of process-mining logs.

use crate::MinerError;
use quick_xml::events::Event as XmlEvent;
use std::io::Read;
use std::path::Path;

/// Bytes of an `.xml` file read to find its first elements.
const HEAD: u64 = 64 * 1024;

/// The elements an OCEL 2.0 XML `<log>` opens with; an XES log opens with others.
const OCEL_SECTIONS: [&str; 4] = ["object-types", "event-types", "objects", "events"];

/// An event log format Flowsight reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// IEEE XES (`.xes`, `.xes.gz`, an `.xml` log that is not OCEL).
    Xes,
    /// CSV with one event per row (`.csv`, `.csv.gz`).
    Csv,
    /// JSON lines of messages (`.ndjson`, `.jsonl`, optionally gzipped).
    JsonLines,
    /// OCEL 2.0 JSON (`.jsonocel`, `.json`).
    OcelJson,
    /// OCEL 2.0 XML (`.xmlocel`, an `.xml` log whose first section is OCEL's).
    OcelXml,
    /// OCEL 2.0 SQLite (`.sqlite`, `.sqlite3`, `.db`).
    OcelSqlite,
}

/// Endings that name a format on their own, longest first where one ends another.
const ENDINGS: [(&str, LogFormat); 13] = [
    (".jsonocel", LogFormat::OcelJson),
    (".xmlocel", LogFormat::OcelXml),
    (".sqlite3", LogFormat::OcelSqlite),
    (".sqlite", LogFormat::OcelSqlite),
    (".db", LogFormat::OcelSqlite),
    (".json", LogFormat::OcelJson),
    (".csv.gz", LogFormat::Csv),
    (".csv", LogFormat::Csv),
    (".ndjson.gz", LogFormat::JsonLines),
    (".ndjson", LogFormat::JsonLines),
    (".jsonl.gz", LogFormat::JsonLines),
    (".jsonl", LogFormat::JsonLines),
    (".xes", LogFormat::Xes),
];

impl LogFormat {
    /// The format of a file named `name`, when the name alone says it: `None` for `.xml`
    /// (see [`LogFormat::of_file`]).
    pub fn by_name(name: &str) -> Option<LogFormat> {
        let name = name.to_lowercase();
        let bare = name.strip_suffix(".gz").unwrap_or(&name);
        if bare.ends_with(".xml") {
            return None;
        }
        Some(
            ENDINGS
                .iter()
                .find(|(ending, _)| name.ends_with(ending))
                .map_or(LogFormat::Xes, |&(_, format)| format),
        )
    }

    /// The format of the file at `path`, whose name is `name` (an upload is kept under
    /// another): by the name, or for `.xml` by the document's first elements.
    pub fn of_file(path: &Path, name: &str) -> Result<LogFormat, MinerError> {
        match LogFormat::by_name(name) {
            Some(format) => Ok(format),
            None => xml_format(path),
        }
    }

    /// Whether the format is one of OCEL 2.0's encodings (objects become business keys).
    pub fn is_ocel(self) -> bool {
        matches!(
            self,
            LogFormat::OcelJson | LogFormat::OcelXml | LogFormat::OcelSqlite
        )
    }

    /// The format's name in messages to people.
    pub fn label(self) -> &'static str {
        match self {
            LogFormat::Xes => "XES",
            LogFormat::Csv => "CSV",
            LogFormat::JsonLines => "JSON lines",
            LogFormat::OcelJson => "OCEL 2.0 JSON",
            LogFormat::OcelXml => "OCEL 2.0 XML",
            LogFormat::OcelSqlite => "OCEL 2.0 SQLite",
        }
    }
}

/// OCEL 2.0 XML when the XML document at `path` (gzipped or not) is a `<log>` opening with an
/// OCEL section, XES otherwise (a document that is neither is left to the XES reader to refuse).
fn xml_format(path: &Path) -> Result<LogFormat, MinerError> {
    let io = |source| MinerError::Io {
        what: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut head = Vec::new();
    // A gzip stream cut short by `take` is fine: only its start is needed.
    if let Err(e) = super::maybe_gunzip(file)?.take(HEAD).read_to_end(&mut head) {
        if head.is_empty() {
            return Err(io(e));
        }
    }
    let elements = first_elements(&head);
    let ocel = elements.first().is_some_and(|root| root == "log")
        && elements
            .get(1)
            .is_some_and(|section| OCEL_SECTIONS.contains(&section.as_str()));
    Ok(if ocel {
        LogFormat::OcelXml
    } else {
        LogFormat::Xes
    })
}

/// The local names of the first two elements of an XML document's head (its root and the
/// root's first child), as far as the head has them.
fn first_elements(head: &[u8]) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_reader(head);
    let mut buf = Vec::new();
    let mut names = Vec::new();
    while names.len() < 2 {
        match reader.read_event_into(&mut buf) {
            Ok(XmlEvent::Start(e) | XmlEvent::Empty(e)) => {
                names.push(String::from_utf8_lossy(e.local_name().as_ref()).to_lowercase());
            }
            Ok(XmlEvent::Eof) | Err(_) => break,
            Ok(_) => {}
        }
        buf.clear();
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_decides_every_ending_but_xml() {
        for (name, format) in [
            ("log.XES", LogFormat::Xes),
            ("log.xes.gz", LogFormat::Xes),
            ("log", LogFormat::Xes),
            ("events.csv.gz", LogFormat::Csv),
            ("messages.jsonl.gz", LogFormat::JsonLines),
            ("messages.ndjson", LogFormat::JsonLines),
            ("p2p.json", LogFormat::OcelJson),
            ("p2p.jsonocel", LogFormat::OcelJson),
            ("p2p.xmlocel", LogFormat::OcelXml),
            ("p2p.sqlite3", LogFormat::OcelSqlite),
            ("p2p.db", LogFormat::OcelSqlite),
        ] {
            assert_eq!(LogFormat::by_name(name), Some(format), "{name}");
        }
        assert_eq!(LogFormat::by_name("log.xml"), None);
        assert_eq!(LogFormat::by_name("log.XML.gz"), None);
    }

    #[test]
    fn an_xml_log_is_ocel_when_it_opens_with_an_ocel_section() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            LogFormat::of_file(&path, name).unwrap()
        };
        let xes =
            b"<?xml version=\"1.0\"?>\n<!-- exported --><log xes.version=\"1.0\"><trace/></log>";
        assert_eq!(write("a.xml", xes), LogFormat::Xes);
        let ocel = b"<?xml version=\"1.0\"?>\n<log>\n  <object-types><object-type name=\"Invoice\"/></object-types></log>";
        assert_eq!(write("b.xml", ocel), LogFormat::OcelXml);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, ocel).unwrap();
        assert_eq!(write("c.xml.gz", &gz.finish().unwrap()), LogFormat::OcelXml);
        assert_eq!(write("d.xml", b""), LogFormat::Xes);
    }

    #[test]
    fn ocel_formats_are_named_as_such() {
        assert!(LogFormat::OcelSqlite.is_ocel() && !LogFormat::Csv.is_ocel());
        assert_eq!(LogFormat::OcelXml.label(), "OCEL 2.0 XML");
    }
}
