//! The Prometheus text exposition format (0.0.4), written in one place: the collector's queue
//! and Kafka consumer figures and the web's store, wait and tracking figures all go through
//! it, so their help and type lines, labels and label escaping are alike.

use std::fmt::{Display, Write};

/// What a metric family measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A value that goes up and down.
    Gauge,
    /// A running total that only goes up.
    Counter,
}

/// Metric families written into a text exposition.
pub struct Exposition<'a> {
    out: &'a mut String,
}

impl<'a> Exposition<'a> {
    /// Appends to `out`.
    pub fn new(out: &'a mut String) -> Self {
        Self { out }
    }

    /// Starts the family `name` (its help and type lines); its samples follow.
    pub fn family(&mut self, name: &str, kind: MetricKind, help: &str) -> &mut Self {
        let kind = match kind {
            MetricKind::Gauge => "gauge",
            MetricKind::Counter => "counter",
        };
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        self
    }

    /// A sample of the family `name` with `labels` (name and value; values are escaped).
    pub fn sample(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        value: impl Display,
    ) -> &mut Self {
        self.out.push_str(name);
        if !labels.is_empty() {
            let labels: Vec<String> = labels
                .iter()
                .map(|(label, v)| format!("{label}=\"{}\"", escape_label(v)))
                .collect();
            let _ = write!(self.out, "{{{}}}", labels.join(","));
        }
        let _ = writeln!(self.out, " {value}");
        self
    }

    /// A family of one sample without labels.
    pub fn single(
        &mut self,
        name: &str,
        kind: MetricKind,
        help: &str,
        value: impl Display,
    ) -> &mut Self {
        self.family(name, kind, help).sample(name, &[], value)
    }
}

/// A label value as the format writes it: backslash, double quote and line feed escaped.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_families_with_escaped_labels() {
        let mut text = String::new();
        Exposition::new(&mut text)
            .single("up", MetricKind::Gauge, "Whether it is up.", 1)
            .family("seen_total", MetricKind::Counter, "Seen so far.")
            .sample("seen_total", &[("step", "a \"b\"\\c\nd"), ("n", "2")], 1.5);
        assert_eq!(
            text,
            "# HELP up Whether it is up.\n# TYPE up gauge\nup 1\n\
             # HELP seen_total Seen so far.\n# TYPE seen_total counter\n\
             seen_total{step=\"a \\\"b\\\"\\\\c\\nd\",n=\"2\"} 1.5\n"
        );
    }
}
