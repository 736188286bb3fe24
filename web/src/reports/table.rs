//! The table of exports: each thing that can be exported, in each format, with its download
//! name and content type, and how it is written. The download route and `flowsight export`
//! both read it, so the two offer the same files and say the same when asked for one that
//! does not exist.

use super::{MapRequest, MapView, Selection};
use crate::WebError;
use collector::store::Store;
use miner::formats::csv::Cells;
use std::io::Write;

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// The process map (SVG, PNG).
    Map,
    /// A self-contained HTML report: key figures, map, top variants, bottlenecks.
    Report,
    /// A structured model (Inductive Miner, IMf) as BPMN 2.0 with diagram.
    Model,
    /// The directly-follows graph with counts and times (CSV, JSON).
    Dfg,
    /// Variants with counts and durations (CSV, JSON).
    Variants,
    /// Bottleneck rankings (CSV, JSON).
    Bottlenecks,
    /// Instances with status (CSV, JSON).
    Instances,
    /// The events of every instance as an event log, one trace per instance (XES, CSV, OCEL 2.0).
    Log,
}

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values.
    Csv,
    /// JSON.
    Json,
    /// SVG drawing (map only).
    Svg,
    /// PNG picture (map only).
    Png,
    /// IEEE XES event log (log only).
    Xes,
    /// Self-contained HTML (report only).
    Html,
    /// BPMN 2.0 XML (model only).
    Bpmn,
    /// OCEL 2.0 (log only): business keys as objects; JSON, or SQLite when `flowsight export`
    /// writes to a file ending in `.sqlite`.
    Ocel,
}

/// One export: what, in which format, under which name it is downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Export {
    /// What is exported.
    pub what: What,
    /// In which format.
    pub format: Format,
    /// Its name under `/export/` (the download is named `flowsight-` and this).
    pub file: &'static str,
    /// Its content type.
    pub content_type: &'static str,
}

/// The content type of CSV downloads.
pub(crate) const CSV: &str = "text/csv; charset=utf-8";
/// The content type of JSON downloads.
pub(crate) const JSON: &str = "application/json";
const XML: &str = "application/xml";

const fn export(what: What, format: Format, file: &'static str, content: &'static str) -> Export {
    Export {
        what,
        format,
        file,
        content_type: content,
    }
}

/// Every export, in the order the help lists them.
pub const EXPORTS: [Export; 15] = [
    export(What::Map, Format::Svg, "map.svg", "image/svg+xml"),
    export(What::Map, Format::Png, "map.png", "image/png"),
    export(
        What::Report,
        Format::Html,
        "report.html",
        "text/html; charset=utf-8",
    ),
    export(What::Model, Format::Bpmn, "model.bpmn", XML),
    export(What::Dfg, Format::Csv, "dfg.csv", CSV),
    export(What::Dfg, Format::Json, "dfg.json", JSON),
    export(What::Variants, Format::Csv, "variants.csv", CSV),
    export(What::Variants, Format::Json, "variants.json", JSON),
    export(What::Bottlenecks, Format::Csv, "bottlenecks.csv", CSV),
    export(What::Bottlenecks, Format::Json, "bottlenecks.json", JSON),
    export(What::Instances, Format::Csv, "instances.csv", CSV),
    export(What::Instances, Format::Json, "instances.json", JSON),
    export(What::Log, Format::Xes, "log.xes", XML),
    export(What::Log, Format::Csv, "log.csv", CSV),
    export(What::Log, Format::Ocel, "log.jsonocel", JSON),
];

impl What {
    /// The format an export of this takes when none is asked for.
    pub fn default_format(self) -> Format {
        match self {
            What::Map => Format::Svg,
            What::Log => Format::Xes,
            What::Report => Format::Html,
            What::Model => Format::Bpmn,
            _ => Format::Csv,
        }
    }
}

/// How the command line spells `value` (`csv`, `instances`), for messages.
pub fn cli_name(value: impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}

impl Export {
    /// The export of `what` as `format`, or why there is none, in the command line's words.
    pub fn find(what: What, format: Format) -> Result<Export, WebError> {
        EXPORTS
            .into_iter()
            .find(|e| e.what == what && e.format == format)
            .ok_or_else(|| {
                let formats: Vec<String> = EXPORTS
                    .iter()
                    .filter(|e| e.what == what)
                    .map(|e| cli_name(e.format))
                    .collect();
                WebError::BadRequest(format!(
                    "{} cannot be exported as {}: it is exported as {}",
                    cli_name(what),
                    cli_name(format),
                    formats.join(" or ")
                ))
            })
    }

    /// The export downloaded as `file` (`dfg.csv`), if there is one.
    pub fn by_file(file: &str) -> Option<Export> {
        EXPORTS.into_iter().find(|e| e.file == file)
    }

    /// Every download name, for a message naming what exists.
    pub fn files() -> Vec<&'static str> {
        EXPORTS.iter().map(|e| e.file).collect()
    }

    /// Whether this is an event log, written while it is read (the largest exports).
    pub fn is_log(&self) -> bool {
        self.what == What::Log
    }

    /// Writes this export of `store` into `out`, as `request` says. A log export returns
    /// how many instances it wrote.
    pub fn write(
        &self,
        store: &dyn Store,
        request: &ExportRequest,
        mut out: impl Write,
    ) -> Result<Option<u64>, WebError> {
        let selection = &request.selection;
        let written = |e: std::io::Error| WebError::Internal(format!("writing the export: {e}"));
        let bytes = match (self.what, self.format) {
            (What::Log, Format::Xes) => return super::write_xes(store, selection, out).map(Some),
            (What::Log, Format::Csv) => {
                return super::write_events_csv(store, selection, request.cells, out).map(Some)
            }
            (What::Log, Format::Ocel) => {
                let ocel = super::ocel_of_store(store, selection)?;
                let json = miner::formats::ocel_json::write_ocel_json(&ocel);
                serde_json::to_writer(&mut out, &json)
                    .map_err(|e| WebError::Internal(format!("writing the export: {e}")))?;
                out.flush().map_err(written)?;
                return Ok(Some(ocel.objects.len() as u64));
            }
            (What::Instances, Format::Csv) => {
                super::instances_csv(store, selection, request.cells)?.into_bytes()
            }
            (What::Instances, Format::Json) => {
                pretty(super::instances_json(store, selection)?).into_bytes()
            }
            _ => self.of_map(&MapView::compute(store, &request.map)?, request)?,
        };
        out.write_all(&bytes)
            .and_then(|()| out.flush())
            .map_err(written)?;
        Ok(None)
    }

    /// This export of the map's statistics.
    fn of_map(&self, view: &MapView, request: &ExportRequest) -> Result<Vec<u8>, WebError> {
        let cells = request.cells;
        Ok(match (self.what, self.format) {
            (What::Map, Format::Png) => return super::svg_to_png(&view.svg()),
            (What::Map, _) => view.svg(),
            (What::Report, _) => view.html_report(request.now)?,
            (What::Model, _) => super::bpmn(&view.full, request.noise)?,
            (What::Dfg, Format::Csv) => super::dfg_csv(&view.shown, cells),
            (What::Dfg, _) => pretty(super::dfg_json(&view.shown)),
            (What::Variants, Format::Csv) => super::variants_csv(&view.full, cells),
            (What::Variants, _) => pretty(super::variants_json(&view.full)),
            (What::Bottlenecks, Format::Csv) => super::bottlenecks_csv(&view.bottlenecks(), cells),
            (What::Bottlenecks, _) => pretty(super::bottlenecks_json(&view.bottlenecks())),
            (What::Instances | What::Log, _) => {
                unreachable!("instances and logs are read from the store, not the map")
            }
        }
        .into_bytes())
    }
}

/// What an export takes besides the store: the map's settings and filters, the instances
/// selected, how CSV cells are written, the model's noise threshold, and the report's time.
#[derive(Debug)]
pub struct ExportRequest {
    /// The map's settings and filters.
    pub map: MapRequest,
    /// The instances an instance list or a log holds.
    pub selection: Selection,
    /// How CSV cells a spreadsheet would run are written.
    pub cells: Cells,
    /// The Inductive Miner's noise threshold (0-1), for the model.
    pub noise: f64,
    /// When the report is made.
    pub now: miner::time::Micros,
}

fn pretty(v: serde_json::Value) -> String {
    serde_json::to_string_pretty(&v).expect("json values serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_export_has_one_file_and_every_thing_its_default_format() {
        let mut files = Export::files();
        files.sort_unstable();
        files.dedup();
        assert_eq!(files.len(), EXPORTS.len());
        for what in <What as clap::ValueEnum>::value_variants() {
            assert!(
                Export::find(*what, what.default_format()).is_ok(),
                "{what:?}"
            );
        }
    }

    #[test]
    fn a_missing_export_is_named_in_the_command_lines_words() {
        let err = Export::find(What::Map, Format::Csv)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("map cannot be exported as csv: it is exported as svg or png"),
            "{err}"
        );
    }
}
