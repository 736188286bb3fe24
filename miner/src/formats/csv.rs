//! CSV writing for exports: RFC 4180 through the `csv` crate, `\n` lines, and cells a
//! spreadsheet would run as a formula neutralised.

use std::borrow::Cow;
use std::io::Write;

/// How a cell that a spreadsheet would take for a formula (one starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return, and not a plain number) is written. Event names come
/// from outside, so by default such a cell gets a leading `'`, which spreadsheets show as
/// text (OWASP's advice against CSV injection); a machine consumer can ask for cells raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cells {
    /// Formula-like cells start with `'`.
    #[default]
    Neutralized,
    /// Every cell exactly as it is.
    Raw,
}

/// Whether a spreadsheet would take `cell` for a formula.
fn formula_like(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.trim().parse::<f64>().is_err()
}

/// An export's CSV writer: RFC 4180 through the `csv` crate (fields quoted when they hold a
/// comma, quote or line break; `\n` line ends; rows of any length), with formula-like cells
/// written as [`Cells`] says.
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
    cells: Cells,
}

impl<W: Write> CsvWriter<W> {
    /// A writer of records into `out`.
    pub fn new(out: W, cells: Cells) -> Self {
        let inner = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(out);
        Self { inner, cells }
    }

    /// Writes one record.
    pub fn record<S: AsRef<str>>(&mut self, fields: &[S]) -> std::io::Result<()> {
        let neutralized = self.cells == Cells::Neutralized;
        let record = fields.iter().map(|field| {
            let field = field.as_ref();
            if neutralized && formula_like(field) {
                Cow::Owned(format!("'{field}").into_bytes())
            } else {
                Cow::Borrowed(field.as_bytes())
            }
        });
        self.inner.write_record(record).map_err(into_io)
    }

    /// Writes what is buffered and hands `out` back.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.inner
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

impl CsvWriter<Vec<u8>> {
    /// A writer of CSV text in memory.
    pub fn text(cells: Cells) -> Self {
        Self::new(Vec::new(), cells)
    }

    /// Writes one record; writing to memory cannot fail.
    pub fn row<S: AsRef<str>>(&mut self, fields: &[S]) {
        self.record(fields)
            .expect("a flexible CSV writer into memory has no failure");
    }

    /// The text written.
    pub fn into_string(self) -> String {
        let bytes = self
            .into_inner()
            .expect("a flexible CSV writer into memory has no failure");
        String::from_utf8(bytes).expect("CSV of text fields is text")
    }
}

/// The `csv` crate's error as the I/O error it is once rows may have any length.
fn into_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::{Cells, CsvWriter};

    #[test]
    fn quotes_only_what_needs_quoting() {
        let mut out = CsvWriter::text(Cells::Raw);
        out.row(&["a", "b,c", "say \"hi\"", "x\ny", "carriage\rreturn", ""]);
        out.row(&["rows", "of any length"]);
        assert_eq!(
            out.into_string(),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\",\"carriage\rreturn\",\nrows,of any length\n"
        );
    }

    #[test]
    fn formula_like_cells_are_neutralised_unless_raw_is_asked() {
        let cells = [
            "=HYPERLINK(\"x\")",
            "+1+2",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "-0.25",
            "12",
            "a=b",
        ];
        let mut out = CsvWriter::text(Cells::Neutralized);
        out.row(&cells);
        assert_eq!(
            out.into_string(),
            "\"'=HYPERLINK(\"\"x\"\")\",'+1+2,'-2+3,'@SUM(A1),'\tx,-0.25,12,a=b\n"
        );
        let mut raw = CsvWriter::text(Cells::Raw);
        raw.row(&cells);
        assert!(raw.into_string().starts_with("\"=HYPERLINK("));
    }
}
