//! Minimal RFC 4180 CSV writing for exports: quote fields that need it, CRLF-free `\n` lines,
//! and cells a spreadsheet would run as a formula neutralised.

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

/// Appends one CSV record to `out`, quoting fields that contain a comma, quote or line break,
/// and writing formula-like cells as `cells` says.
pub fn write_record<S: AsRef<str>>(out: &mut String, fields: &[S], cells: Cells) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let neutral;
        let mut f = field.as_ref();
        if cells == Cells::Neutralized && formula_like(f) {
            neutral = format!("'{f}");
            f = &neutral;
        }
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_only_what_needs_quoting() {
        let mut out = String::new();
        super::write_record(
            &mut out,
            &["a", "b,c", "say \"hi\"", "x\ny"],
            super::Cells::Raw,
        );
        assert_eq!(out, "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\"\n");
    }

    #[test]
    fn formula_like_cells_are_neutralised_unless_raw_is_asked() {
        use super::{write_record, Cells};
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
        let mut out = String::new();
        write_record(&mut out, &cells, Cells::Neutralized);
        assert_eq!(
            out,
            "\"'=HYPERLINK(\"\"x\"\")\",'+1+2,'-2+3,'@SUM(A1),'\tx,-0.25,12,a=b\n"
        );
        let mut raw = String::new();
        write_record(&mut raw, &cells, Cells::Raw);
        assert!(raw.starts_with("\"=HYPERLINK("));
    }
}
