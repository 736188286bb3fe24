//! Minimal RFC 4180 CSV writing for exports: quote fields that need it, CRLF-free `\n` lines.

/// Appends one CSV record to `out`, quoting fields that contain a comma, quote or line break.
pub fn write_record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let f = field.as_ref();
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
        super::write_record(&mut out, &["a", "b,c", "say \"hi\"", "x\ny"]);
        assert_eq!(out, "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\"\n");
    }
}
