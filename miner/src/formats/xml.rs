//! The one XML escaper of every XML the product writes (XES, BPMN, SVG, and the HTML built in
//! code): text becomes safe in element content and in quoted attribute values alike.

/// `text` escaped for XML 1.0: markup characters and quotes as entities, tab and line breaks
/// as character references (so attribute values keep them), and every character XML 1.0 does
/// not allow at all (other control characters such as NUL, BEL or ESC, and U+FFFE/U+FFFF)
/// replaced by U+FFFD, so that one hostile event name can never make a whole document invalid.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_xml;

    #[test]
    fn markup_quotes_and_forbidden_characters_are_made_safe() {
        assert_eq!(
            escape_xml("a<b & \"c\" 'd'>\te\nf"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;&#9;e&#10;f"
        );
        assert_eq!(
            escape_xml("pay\u{0}\u{7}\u{1b}[31m"),
            "pay\u{FFFD}\u{FFFD}\u{FFFD}[31m"
        );
        let doc = format!(
            "<a b=\"{}\">{}</a>",
            escape_xml("x\u{0}\"y"),
            escape_xml("\u{1b}<z>")
        );
        let mut reader = quick_xml::Reader::from_str(&doc);
        while reader.read_event().expect("well-formed") != quick_xml::events::Event::Eof {}
    }
}
