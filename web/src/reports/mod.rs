//! The exports: the map view and its settings (SVG, PNG, the model), and the walk over the
//! store's instances the log exports share; CSV, JSON, OCEL and the HTML report each have their
//! file. The UI's download links and `flowsight export` both use these, so a file downloaded
//! from a page and one written by the CLI are the same.

pub mod charts;
pub mod compare;
mod csv;
mod html;
mod json;
pub mod notion;
mod ocel;
pub mod table;

pub use csv::{bottlenecks_csv, dfg_csv, instances_csv, variants_csv, write_events_csv};
pub use json::{bottlenecks_json, dfg_json, instances_json, variants_json};
pub use ocel::ocel_of_store;

use crate::filter_bar::{optional_number, FilterParams};
use crate::WebError;
use collector::store::{CaseFilter, InstanceOrder, InstanceQuery, InstanceSummary, Store};
use miner::discovery::ProcessStats;
use miner::filter::{kept_activities, simplify_paths, ProcessMap, StepKinds};
use miner::formats::xes_write::XesWriter;
use miner::layout::{layout, render_look, render_svg, MapLayout, MapMetric, MapMode, ObjectLook};
use miner::notion::ObjectCentric;
use miner::performance::{rank_bottlenecks, Bottlenecks};
use notion::{CaseNotion, NotionSource};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

pub use crate::filter_bar::VARIANT_SEPARATOR;

/// The map's settings, as query parameters and as `flowsight export` options: `mode`,
/// `metric`, `activities` and `paths` (0–100), and the filter bar's (see [`FilterParams`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(default)]
pub struct MapRequest {
    /// `frequency` (default) or `performance`.
    #[arg(long)]
    pub mode: Option<String>,
    /// What the map measures (see [`MapMetric`]): `events` or `cases` in the frequency map,
    /// `total` (default), `mean`, `median`, `p95` or `max` time in the performance map.
    #[arg(long)]
    pub metric: Option<String>,
    /// Which steps the map shows: `both` (default), `events` (instant events only) or
    /// `spans` (steps with a duration only).
    #[arg(long)]
    pub steps: Option<String>,
    /// Activity slider, percent of activities shown (default 100).
    #[serde(deserialize_with = "optional_number")]
    #[arg(long)]
    pub activities: Option<u8>,
    /// Path slider, percent of arcs shown (default 100).
    #[serde(deserialize_with = "optional_number")]
    #[arg(long)]
    pub paths: Option<u8>,
    /// The case notion: empty for the instances as correlated, a key kind (`payment`, an
    /// OCEL object type) for one case per key of that kind, or `*` for every kind at once
    /// (the object-centric map).
    #[arg(long)]
    pub notion: Option<String>,
    /// Which instances the map covers.
    #[serde(flatten)]
    #[command(flatten)]
    pub filters: FilterParams,
}

/// The settings in force, as people read them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilterSummary {
    /// `frequency` or `performance`.
    pub mode: MapMode,
    /// What the map measures.
    pub metric: MapMetric,
    /// Which kinds of steps it shows.
    pub steps: StepKinds,
    /// Percent of activities shown.
    pub activities: u8,
    /// Percent of arcs shown.
    pub paths: u8,
    /// Which cases the map is made of.
    #[serde(skip)]
    pub notion: CaseNotion,
    /// Which instances are covered.
    pub cases: CaseFilter,
    /// The filter bar's conditions, as people read them.
    pub described: Vec<String>,
}

impl MapRequest {
    /// Checks and interprets the parameters; errors name the parameter.
    pub fn resolve(&self) -> Result<FilterSummary, WebError> {
        let mode = match self.mode.as_deref().filter(|m| !m.is_empty()) {
            None => MapMode::Frequency,
            Some(m) => MapMode::parse(m).ok_or_else(|| {
                WebError::BadRequest(format!("mode: {m:?} is not 'frequency' or 'performance'"))
            })?,
        };
        let metric = match self
            .metric
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
        {
            None => MapMetric::default_for(mode),
            Some(m) => {
                let metric = MapMetric::parse(m).ok_or_else(|| {
                    WebError::BadRequest(format!(
                        "metric: {m:?} is not events, cases, total, mean, median, p95 or max"
                    ))
                })?;
                if self.mode.as_deref().is_some_and(|m| !m.is_empty()) && metric.mode() != mode {
                    return Err(WebError::BadRequest(format!(
                        "metric: {m} belongs to the {} map, not the {} map",
                        metric.mode().as_str(),
                        mode.as_str()
                    )));
                }
                metric
            }
        };
        let percent = |name: &str, v: Option<u8>| match v {
            Some(p) if p > 100 => Err(WebError::BadRequest(format!(
                "{name}: {p} is over 100 percent"
            ))),
            Some(p) => Ok(p),
            None => Ok(100),
        };
        let steps = match self.steps.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => StepKinds::Both,
            Some(s) => StepKinds::parse(s).ok_or_else(|| {
                WebError::BadRequest(format!(
                    "steps: {s:?} is not both, events (instant events only) or spans (steps with a duration only)"
                ))
            })?,
        };
        Ok(FilterSummary {
            mode: metric.mode(),
            metric,
            steps,
            activities: percent("activities", self.activities)?,
            paths: percent("paths", self.paths)?,
            notion: CaseNotion::parse(self.notion.as_deref()),
            cases: self.filters.resolve()?,
            described: self.filters.described(),
        })
    }
}

/// Everything a map view shows: statistics of the selected instances, the simplified map, its layout.
#[derive(Debug, Clone)]
pub struct MapView {
    /// The filters in force.
    pub filters: FilterSummary,
    /// Statistics over the selected instances with every activity.
    pub full: ProcessStats,
    /// Statistics over the activities the slider keeps (hidden steps bridged).
    pub shown: ProcessStats,
    /// The map after the path slider.
    pub map: ProcessMap,
    /// Its coordinates.
    pub layout: MapLayout,
    /// The slider kept more activities than a map draws, so only the most frequent
    /// [`MAX_DRAWN_ACTIVITIES`] are shown.
    pub capped: bool,
    /// Each key kind's paths, when the map is object-centric.
    pub objects: Option<ObjectCentric>,
}

/// Most activities a map draws (the most frequent): beyond a few hundred a map is unreadable
/// and its drawing grows to hundreds of megabytes.
pub const MAX_DRAWN_ACTIVITIES: usize = 300;

impl MapView {
    /// Asks the store and builds the view.
    pub fn compute(store: &dyn Store, request: &MapRequest) -> Result<Self, WebError> {
        let filters = request.resolve()?;
        let source = NotionSource::read(store, &filters.notion, &filters.cases);
        // The activities the sliders keep, most frequent first (before the drawing's cap).
        let kept_of = |full: &ProcessStats| -> Vec<String> {
            let mut kept = kept_activities(full, filters.activities);
            if filters.steps != StepKinds::Both {
                let kinds: HashSet<&str> = full
                    .activities
                    .iter()
                    .filter(|a| filters.steps.keeps(a))
                    .map(|a| a.name.as_str())
                    .collect();
                kept.retain(|a| kinds.contains(a.as_str()));
            }
            kept
        };
        let keep = |full: &ProcessStats| -> Option<Vec<String>> {
            let mut kept = kept_of(full);
            kept.truncate(MAX_DRAWN_ACTIVITIES);
            (kept.len() != full.activities.len()).then_some(kept)
        };
        let slider = filters.activities < 100 || filters.steps != StepKinds::Both;
        let stats = source.stats_shown(&keep, slider)?;
        let (full, all_objects) = stats.full;
        let capped = kept_of(&full).len() > MAX_DRAWN_ACTIVITIES;
        let (shown, objects) = match stats.shown {
            Some(shown) => shown,
            None => (full.clone(), all_objects),
        };
        let map = simplify_paths(&shown, filters.paths);
        let layout = layout(&map);
        Ok(Self {
            filters,
            full,
            shown,
            map,
            layout,
            capped,
            objects,
        })
    }

    /// The map as a standalone SVG document.
    pub fn svg(&self) -> String {
        match &self.objects {
            Some(objects) => render_look(
                &self.map,
                &self.layout,
                &ObjectLook::new(objects, self.filters.metric),
            ),
            None => render_svg(&self.map, &self.layout, self.filters.metric),
        }
    }

    /// The bottleneck rankings over the selected instances.
    pub fn bottlenecks(&self) -> Bottlenecks {
        rank_bottlenecks(&self.full)
    }
}

/// A BPMN 2.0 model (with diagram) discovered by the Inductive Miner (IMf) from the variants
/// of the selected instances; `noise` is IMf's threshold (0–1).
pub fn bpmn(stats: &ProcessStats, noise: f64) -> Result<String, WebError> {
    let tree = miner::discovery::inductive::inductive_miner(stats, noise)
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    Ok(miner::formats::bpmn::write_bpmn(&tree, "Flowsight model"))
}

/// Renders an SVG document as PNG, with the DejaVu fonts compiled in so that labels render the
/// same on a machine without any fonts installed.
pub fn svg_to_png(svg: &str) -> Result<Vec<u8>, WebError> {
    use resvg::{tiny_skia, usvg};
    let mut options = usvg::Options::default();
    {
        let fonts = options.fontdb_mut();
        fonts.load_font_data(dejavu::sans::regular().to_vec());
        fonts.load_font_data(dejavu::sans::bold().to_vec());
        fonts.set_sans_serif_family("DejaVu Sans");
    }
    options.font_family = "DejaVu Sans".into();
    let tree =
        usvg::Tree::from_str(svg, &options).map_err(|e| WebError::Internal(format!("SVG: {e}")))?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| {
        WebError::Internal(format!(
            "cannot draw a {}x{} picture",
            size.width(),
            size.height()
        ))
    })?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap
        .encode_png()
        .map_err(|e| WebError::Internal(format!("PNG: {e}")))
}

/// Largest number of instances an export lists.
pub const MAX_EXPORTED_INSTANCES: u64 = 1_000_000;

/// Which instances an export (or the instance list) takes: those carrying a key (`search`),
/// in a status, and with some steps (the drill-down from a number).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// A business key value or `kind=value`.
    pub search: Option<String>,
    /// The filter bar's conditions (and a drill-down's).
    pub cases: CaseFilter,
    /// The step unfinished instances stand at (their last activity).
    pub at_step: Option<String>,
    /// The order instances are listed in.
    pub order: InstanceOrder,
}

impl Selection {
    /// The query of a page of the selected instances.
    pub fn page(&self, offset: u64, limit: u64) -> InstanceQuery {
        InstanceQuery {
            search: self.search.clone(),
            cases: self.cases.clone(),
            at_step: self.at_step.clone(),
            order: self.order,
            offset,
            limit,
        }
    }
}

/// The instances an export lists: the selected ones, up to [`MAX_EXPORTED_INSTANCES`].
fn exported_instances(
    store: &dyn Store,
    selection: &Selection,
) -> Result<collector::store::InstancePage, WebError> {
    Ok(store.instances(&selection.page(0, MAX_EXPORTED_INSTANCES))?)
}

/// Every selected instance, in the selection's order. Read in large pages: a filter on steps
/// reads each candidate's steps for every page, so small pages would read them again and again.
pub(crate) fn selected_instances(
    store: &dyn Store,
    selection: &Selection,
) -> Result<Vec<InstanceSummary>, WebError> {
    const PAGE: u64 = 100_000;
    let mut selected = Vec::new();
    loop {
        let page = store.instances(&selection.page(selected.len() as u64, PAGE))?;
        let full = page.instances.len() == PAGE as usize;
        selected.extend(page.instances);
        if !full {
            return Ok(selected);
        }
    }
}

/// Calls `visit` with the case name (its label's value) and events of every selected instance,
/// their events read a thousand instances at a time; returns how many instances there were.
pub(crate) fn for_each_instance(
    store: &dyn Store,
    selection: &Selection,
    mut visit: impl FnMut(&str, Vec<miner::log::Event>) -> std::io::Result<()>,
) -> Result<u64, WebError> {
    let instances = selected_instances(store, selection)?;
    for chunk in instances.chunks(1_000) {
        let ids: Vec<_> = chunk.iter().map(|s| s.id).collect();
        let mut events = store.events_of(&ids)?;
        for summary in chunk {
            if let Some(events) = events.remove(&summary.id) {
                let name = summary
                    .label
                    .split_once('=')
                    .map_or(summary.label.as_str(), |(_, v)| v);
                visit(name, events)
                    .map_err(|e| WebError::Internal(format!("writing the log: {e}")))?;
            }
        }
    }
    Ok(instances.len() as u64)
}

/// Every instance matching `search` and `status` as an XES log written to `out`: one trace per
/// instance (named by its label's value), events in time order.
pub fn write_xes(
    store: &dyn Store,
    selection: &Selection,
    out: impl std::io::Write,
) -> Result<u64, WebError> {
    let io = |e: std::io::Error| WebError::Internal(format!("writing XES: {e}"));
    let mut writer = XesWriter::new(out).map_err(io)?;
    let count = for_each_instance(store, selection, |name, events| {
        writer.write_case(name, &events)
    })?;
    writer.finish().map_err(io)?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use miner::formats::csv::Cells;
    use miner::time::format_timestamp;

    fn stats() -> ProcessStats {
        let mut b = miner::log::EventLogBuilder::new();
        for (case, wait) in [("1", 10), ("2", 600)] {
            b.start_case(case);
            b.push_event("pay", Some(0));
            b.push_event("ship, fast", Some(wait * 1_000_000));
        }
        ProcessStats::from_log(&b.build())
    }

    #[test]
    fn csv_exports_have_one_row_per_item_with_times_in_seconds() {
        let s = stats();
        let dfg = dfg_csv(&s, Cells::Neutralized);
        assert_eq!(
            dfg.lines().collect::<Vec<_>>(),
            [
                "from,to,count,mean_s,median_s,p95_s,total_s",
                "pay,\"ship, fast\",2,305.000,305.000,570.500,610.000"
            ]
        );
        let b = bottlenecks_csv(&rank_bottlenecks(&s), Cells::Neutralized);
        let lines: Vec<&str> = b.lines().collect();
        assert_eq!(
            lines[1],
            "edge,pay,\"ship, fast\",2,610.000,305.000,305.000,570.500,1.0000,,,,"
        );
        assert_eq!(
            lines[2], "activity,pay,,2,610.000,305.000,305.000,570.500,1.0000,,,,",
            "no waiting or service time recorded: empty"
        );
        let v = variants_csv(&s, Cells::Neutralized);
        assert_eq!(
            v.lines().nth(1),
            Some("1,2,1.0000,305.000,\"pay → ship, fast\"")
        );
    }

    #[test]
    fn the_html_report_is_self_contained_and_complete() {
        let s = stats();
        let view = MapView {
            filters: MapRequest {
                activities: Some(50),
                ..Default::default()
            }
            .resolve()
            .unwrap(),
            full: s.clone(),
            shown: s.clone(),
            map: simplify_paths(&s, 100),
            layout: layout(&simplify_paths(&s, 100)),
            capped: false,
            objects: None,
        };
        let html = view.html_report(1_767_600_000_000_000).unwrap();
        assert!(html.contains("Made 2026-01-05T08:00:00.000Z"));
        assert!(html.contains("activities 50%"));
        assert!(html.contains("<svg") && html.contains("data-activity=\"pay\""));
        assert!(
            html.contains("<td>pay</td><td>ship, fast</td>"),
            "bottleneck row"
        );
        assert!(html.contains("pay → ship, fast"), "variant row");
        for external in ["<link", "<script", "src=", "url(http", "@import"] {
            assert!(!html.contains(external), "report must not load {external}");
        }
    }

    #[test]
    fn the_map_renders_to_png_with_its_labels() {
        let s = stats();
        let map = simplify_paths(&s, 100);
        let svg = render_svg(&map, &layout(&map), MapMetric::Events);
        let png = svg_to_png(&svg).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let without_text = svg_to_png(&svg.replace(">pay</text>", "></text>")).unwrap();
        assert_ne!(png, without_text, "labels are drawn (the font is embedded)");
    }

    #[test]
    fn resolves_parameters_and_names_bad_ones() {
        let ok: MapRequest = serde_html_form::from_str(
            "mode=performance&activities=40&from=2026-01-05&variant=A%20%E2%86%92%20B",
        )
        .unwrap();
        let ok = ok.resolve().unwrap();
        assert_eq!(ok.mode, MapMode::Performance);
        assert_eq!((ok.activities, ok.paths), (40, 100));
        assert_eq!(
            ok.cases.from.map(format_timestamp).as_deref(),
            Some("2026-01-05T00:00:00.000Z")
        );
        assert_eq!(
            ok.cases.variant,
            Some(vec!["A".to_string(), "B".to_string()])
        );
        let p95: MapRequest = serde_html_form::from_str("metric=p95").unwrap();
        let p95 = p95.resolve().unwrap();
        assert_eq!(
            (p95.mode, p95.metric),
            (MapMode::Performance, MapMetric::P95),
            "a metric picks its map"
        );
        assert_eq!(
            ok.metric,
            MapMetric::Total,
            "performance ranks by total time"
        );
        for (query, parameter) in [
            (
                "mode=frequency&metric=mean",
                "metric: mean belongs to the performance map",
            ),
            ("metric=fastest", "metric:"),
            ("steps=tasks", "steps:"),
            ("mode=fast", "mode:"),
            ("paths=101", "paths:"),
            ("to=tomorrow", "to:"),
        ] {
            let request: MapRequest = serde_html_form::from_str(query).unwrap();
            let err = request.resolve().unwrap_err().to_string();
            assert!(err.starts_with(parameter), "{err}");
        }
    }
}
