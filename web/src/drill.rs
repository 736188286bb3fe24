//! Beside the instances a click on the map lists (those through an activity or a path): how
//! long that step took in them, as a histogram, so that the slow ones stand out before any
//! instance is opened.

use crate::reports::Selection;
use crate::WebError;
use collector::store::Store;
use miner::charts::{duration_histogram, histogram_svg};
use miner::log::Event;
use miner::time::Micros;

/// Most instances whose step times the histogram reads (the first of the list's order).
pub const SAMPLE: u64 = 1_000;
/// Most bins of the histogram.
const BINS: usize = 30;

/// The step a drill-down names: a path, or an activity (timed to the next step).
enum Step<'a> {
    Path(&'a str, &'a str),
    Activity(&'a str),
}

impl Step<'_> {
    /// The step's durations in one instance's events (in time order).
    fn durations(&self, events: &[Event], out: &mut Vec<Micros>) {
        for w in events.windows(2) {
            let hit = match self {
                Self::Path(a, b) => w[0].activity == *a && w[1].activity == *b,
                Self::Activity(a) => w[0].activity == *a,
            };
            if hit {
                out.push(w[1].timestamp - w[0].timestamp);
            }
        }
    }

    fn title(&self) -> String {
        match self {
            Self::Path(a, b) => format!("Time from {a} to {b} in these instances"),
            Self::Activity(a) => format!("Time from {a} to the next step in these instances"),
        }
    }
}

/// The histogram of the drilled step's times over the first [`SAMPLE`] instances `selection`
/// lists, with how many instances it read; none when the list is not a drill-down to a step.
pub fn step_histogram(
    store: &dyn Store,
    selection: &Selection,
) -> Result<Option<(String, u64)>, WebError> {
    let cases = &selection.cases;
    // A drill-down adds its step to the filters already in force: the step is the last given.
    let step = match (cases.follows.last(), cases.with.last()) {
        (Some((a, b)), _) => Step::Path(a, b),
        (None, Some(a)) => Step::Activity(a),
        _ => return Ok(None),
    };
    let page = store.instances(&selection.page(0, SAMPLE))?;
    let ids: Vec<_> = page.instances.iter().map(|i| i.id).collect();
    let events = store.events_of(&ids)?;
    let mut durations = Vec::new();
    for id in &ids {
        if let Some(events) = events.get(id) {
            step.durations(events, &mut durations);
        }
    }
    if durations.is_empty() {
        return Ok(None);
    }
    let histogram = duration_histogram(durations, BINS);
    Ok(Some((
        histogram_svg(&histogram, &step.title()),
        ids.len() as u64,
    )))
}
