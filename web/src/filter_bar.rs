//! The filter bar every page shares: which instances a page, an API answer and an export
//! cover (time range, case duration, variant, activity present or absent, a path, a key, a
//! status, an attribute value), in the URL, so that a link, a reload and a download all show the same instances.

use crate::WebError;
use collector::config::parse_duration;
use collector::sources::files::{OCEL_EVENT_ID, OCEL_QUALIFIERS};
use collector::store::{CaseFilter, InstanceQuery, InstanceStatus, StatsQuery, Store};
use miner::log::BusinessKey;
use miner::log::{END_ATTRIBUTE, XES_TYPES_ATTRIBUTE};
use miner::time::{parse_timestamp, Micros};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;

/// Separator of activities in a variant filter parameter.
pub const VARIANT_SEPARATOR: &str = " → ";

/// The filter bar's parameters, as written in the URL and as `flowsight export` options (all
/// text, checked by [`FilterParams::resolve`] so that an error names the parameter).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(default)]
pub struct FilterParams {
    /// Only instances with an event at or after this date (2026-01-05) or time (RFC 3339).
    #[arg(long)]
    pub from: Option<String>,
    /// Only instances with an event up to this date (inclusive) or before this time.
    #[arg(long)]
    pub to: Option<String>,
    /// Only instances following this variant (activities joined by ` → `).
    #[arg(long)]
    pub variant: Option<String>,
    /// Only instances containing this activity.
    #[arg(long)]
    pub activity: Option<String>,
    /// Only instances not containing this activity.
    #[arg(long)]
    pub absent: Option<String>,
    /// Only instances where `TO` directly follows `FROM`, written `FROM>TO`.
    #[arg(long)]
    pub edge: Option<String>,
    /// Only instances taking at least this long from first to last event (`90s`, `30m`, `2d`).
    #[arg(long)]
    pub min_duration: Option<String>,
    /// Only instances taking at most this long.
    #[arg(long)]
    pub max_duration: Option<String>,
    /// Only instances carrying this business key, `kind=value`.
    #[arg(long)]
    pub key: Option<String>,
    /// Only instances in this status: `completed`, `running` or `stuck`.
    #[arg(long)]
    pub status: Option<String>,
    /// Only instances with an event whose attribute has this value, `name=value` (a number or
    /// a boolean as JSON writes it: `amount=120`, `express=true`).
    #[arg(long)]
    pub attribute: Option<String>,
}

/// A parameter's value, trimmed, when given.
pub(crate) fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl FilterParams {
    /// The parameters given, in URL order, for links that keep the filters.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("from", &self.from),
            ("to", &self.to),
            ("variant", &self.variant),
            ("activity", &self.activity),
            ("absent", &self.absent),
            ("edge", &self.edge),
            ("min_duration", &self.min_duration),
            ("max_duration", &self.max_duration),
            ("key", &self.key),
            ("status", &self.status),
            ("attribute", &self.attribute),
        ]
        .into_iter()
        .filter_map(|(name, value)| given(value).map(|v| (name, v.to_string())))
        .collect()
    }

    /// These filters with one condition replaced (a drill-down from a number).
    pub fn with(&self, name: &str, value: &str) -> Self {
        let mut changed = self.clone();
        let slot = match name {
            "activity" => &mut changed.activity,
            "edge" => &mut changed.edge,
            "variant" => &mut changed.variant,
            "absent" => &mut changed.absent,
            "key" => &mut changed.key,
            "status" => &mut changed.status,
            "attribute" => &mut changed.attribute,
            _ => return changed,
        };
        *slot = Some(value.to_string());
        changed
    }

    /// Checks and interprets the parameters; errors name the parameter and say what is expected.
    pub fn resolve(&self) -> Result<CaseFilter, WebError> {
        let from = time_param("from", given(&self.from), false)?;
        let to = time_param("to", given(&self.to), true)?;
        if let (Some(f), Some(t)) = (from, to) {
            if f >= t {
                return Err(WebError::BadRequest(format!(
                    "from ({}) is not before to ({}): no time lies between them",
                    given(&self.from).unwrap_or_default(),
                    given(&self.to).unwrap_or_default()
                )));
            }
        }
        let duration = |name: &str, value: &Option<String>| match given(value) {
            None => Ok(None),
            Some(text) => parse_duration(text)
                .map(Some)
                .map_err(|e| WebError::BadRequest(format!("{name}: {e}"))),
        };
        let min_duration = duration("min_duration", &self.min_duration)?;
        let max_duration = duration("max_duration", &self.max_duration)?;
        if let (Some(min), Some(max)) = (min_duration, max_duration) {
            if min > max {
                return Err(WebError::BadRequest(format!(
                    "min_duration ({}) is longer than max_duration ({}): no instance lies between them",
                    given(&self.min_duration).unwrap_or_default(),
                    given(&self.max_duration).unwrap_or_default()
                )));
            }
        }
        let follows = match given(&self.edge) {
            None => None,
            Some(edge) => {
                let (a, b) = edge.split_once('>').ok_or_else(|| {
                    WebError::BadRequest(format!(
                        "edge: {edge:?} is not a path; write FROM>TO (the second activity directly follows the first)"
                    ))
                })?;
                Some((a.to_string(), b.to_string()))
            }
        };
        let key = name_and_value(
            "key",
            given(&self.key),
            "a business key; write KIND=VALUE, e.g. order=4711",
        )?
        .map(|(kind, value)| BusinessKey::new(kind, value));
        let attribute = name_and_value(
            "attribute",
            given(&self.attribute),
            "an attribute value; write NAME=VALUE, e.g. channel=web",
        )?;
        let status = match given(&self.status) {
            None => None,
            Some(text) => Some(InstanceStatus::parse(text).ok_or_else(|| {
                WebError::BadRequest(format!(
                    "status: {text:?} is not completed, running or stuck"
                ))
            })?),
        };
        Ok(CaseFilter {
            from,
            to,
            variant: given(&self.variant)
                .map(|v| v.split(VARIANT_SEPARATOR).map(str::to_string).collect()),
            with: given(&self.activity)
                .map(str::to_string)
                .into_iter()
                .collect(),
            without: given(&self.absent)
                .map(str::to_string)
                .into_iter()
                .collect(),
            follows,
            min_duration,
            max_duration,
            key,
            status,
            attribute,
        })
    }

    /// The conditions in force, as people read them (one phrase each).
    pub fn described(&self) -> Vec<String> {
        let mut parts = Vec::new();
        match (given(&self.from), given(&self.to)) {
            (Some(f), Some(t)) => parts.push(format!("active {f} to {t}")),
            (Some(f), None) => parts.push(format!("active from {f}")),
            (None, Some(t)) => parts.push(format!("active up to {t}")),
            (None, None) => {}
        }
        if let Some(a) = given(&self.activity) {
            parts.push(format!("containing {a}"));
        }
        if let Some(a) = given(&self.absent) {
            parts.push(format!("without {a}"));
        }
        if let Some(e) = given(&self.edge) {
            parts.push(format!(
                "where {}",
                e.replacen('>', " is directly followed by ", 1)
            ));
        }
        if let Some(v) = given(&self.variant) {
            parts.push(format!("following {v}"));
        }
        match (given(&self.min_duration), given(&self.max_duration)) {
            (Some(min), Some(max)) => parts.push(format!("taking {min} to {max}")),
            (Some(min), None) => parts.push(format!("taking at least {min}")),
            (None, Some(max)) => parts.push(format!("taking at most {max}")),
            (None, None) => {}
        }
        if let Some(k) = given(&self.key) {
            parts.push(format!("carrying {k}"));
        }
        if let Some(s) = given(&self.status) {
            parts.push(s.to_string());
        }
        if let Some(a) = given(&self.attribute) {
            parts.push(format!("with an event saying {a}"));
        }
        parts
    }
}

/// A `name=value` parameter (`what` says what it is and how to write it), both sides trimmed.
fn name_and_value(
    parameter: &str,
    text: Option<&str>,
    what: &str,
) -> Result<Option<(String, String)>, WebError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let (name, value) = text
        .split_once('=')
        .map(|(n, v)| (n.trim(), v.trim()))
        .filter(|(n, v)| !n.is_empty() && !v.is_empty())
        .ok_or_else(|| WebError::BadRequest(format!("{parameter}: {text:?} is not {what}")))?;
    Ok(Some((name.to_string(), value.to_string())))
}

/// A `from`/`to` parameter: a time, or a date meaning its first moment; a date given as the
/// end of a range (`through_day`) includes that whole day, so one day picked twice is that day.
pub(crate) fn time_param(
    name: &str,
    text: Option<&str>,
    through_day: bool,
) -> Result<Option<Micros>, WebError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let is_date = text.len() == 10;
    let full = if is_date {
        format!("{text}T00:00:00Z")
    } else {
        text.to_string()
    };
    let at = parse_timestamp(&full).map(|(t, _)| t).map_err(|_| {
        WebError::BadRequest(format!(
            "{name}: {text:?} is not a date (2026-01-05) or time (RFC 3339)"
        ))
    })?;
    Ok(Some(if is_date && through_day {
        at + miner::time::DAY
    } else {
        at
    }))
}

/// What the filter bar suggests for its fields.
#[derive(Debug, Clone, Default)]
pub struct Suggestions {
    /// Activities, most frequent first.
    pub activities: Vec<String>,
    /// The stored key kinds, the most carried first (a key is written `kind=value`).
    pub keys: Vec<String>,
    /// Attribute values of the newest instances' events, `name=value`, most frequent first.
    pub attributes: Vec<String>,
}

/// What the filter bar shows: the values in force and suggestions for its fields.
#[derive(Debug, Clone, Default)]
pub struct FilterBar {
    /// The parameters as given.
    pub params: FilterParams,
    /// What it suggests.
    pub suggested: Suggestions,
    /// The conditions in force, as people read them.
    pub described: Vec<String>,
    /// The page the bar filters, for its "clear" link.
    pub page: &'static str,
}

impl FilterBar {
    /// The bar of `page` with `params`, suggesting `suggested`.
    pub fn new(page: &'static str, params: &FilterParams, suggested: Suggestions) -> Self {
        Self {
            params: params.clone(),
            suggested,
            described: params.described(),
            page,
        }
    }

    /// A field's value as given, for the form.
    pub fn value(&self, name: &str) -> String {
        self.params
            .pairs()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .unwrap_or_default()
    }

    /// A date field's value: the date part of what was given.
    pub fn date(&self, name: &str) -> String {
        let value = self.value(name);
        value.get(..10).map(str::to_string).unwrap_or(value)
    }
}

/// Most activities the bar suggests.
const SUGGESTED: usize = 500;

/// How many of the newest instances the attribute values suggested come from.
const SAMPLED_INSTANCES: u64 = 50;

/// Attributes that hold Flowsight's own bookkeeping, not what an event said.
const BOOKKEEPING: [&str; 4] = [
    XES_TYPES_ATTRIBUTE,
    END_ATTRIBUTE,
    OCEL_QUALIFIERS,
    OCEL_EVENT_ID,
];

/// What the bar suggests: every instance's activities, most frequent first (from the running
/// totals, so as cheap as the overview); the stored key kinds; and the attribute values of the
/// newest instances' events (a bounded sample, so as cheap on a long history as a short one).
pub fn suggestions(store: &dyn Store) -> Result<Suggestions, WebError> {
    let stats = store.process_stats(&StatsQuery::default())?;
    let mut activities: Vec<_> = stats.activities.iter().collect();
    activities.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    let newest = store.instances(&InstanceQuery {
        limit: SAMPLED_INSTANCES,
        ..Default::default()
    })?;
    let ids: Vec<_> = newest.instances.iter().map(|i| i.id).collect();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for event in store.events_of(&ids)?.values().flatten() {
        for (name, value) in &event.attributes {
            if BOOKKEEPING.contains(&name.as_str()) {
                continue;
            }
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(_) | Value::Bool(_) => value.to_string(),
                _ => continue,
            };
            *seen.entry(format!("{name}={text}")).or_default() += 1;
        }
    }
    let mut attributes: Vec<(String, u64)> = seen.into_iter().collect();
    attributes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Suggestions {
        activities: activities
            .into_iter()
            .take(SUGGESTED)
            .map(|a| a.name.clone())
            .collect(),
        keys: store.key_kinds()?,
        attributes: attributes
            .into_iter()
            .take(SUGGESTED)
            .map(|(pair, _)| pair)
            .collect(),
    })
}

/// A number given in a query string. Inside a flattened struct serde sees every value as
/// text, so this takes text as well as a number; empty text is no value.
pub fn optional_number<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + Deserialize<'de>,
    T::Err: Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given<T> {
        Number(T),
        Text(String),
    }
    match Option::<Given<T>>::deserialize(d)? {
        None => Ok(None),
        Some(Given::Number(n)) => Ok(Some(n)),
        Some(Given::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Given::Text(t)) => t.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miner::time::format_timestamp;

    fn params(pairs: &[(&str, &str)]) -> FilterParams {
        let query: String = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::routes::percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        serde_urlencoded::from_str(&query).unwrap()
    }

    #[test]
    fn resolves_every_condition_of_the_bar() {
        let filter = params(&[
            ("from", "2026-01-05"),
            ("to", "2026-01-05"),
            ("variant", "A → B"),
            ("activity", "A"),
            ("absent", "C"),
            ("edge", "A>B"),
            ("min_duration", "30m"),
            ("max_duration", "2d"),
            ("key", "order = 4711"),
            ("status", "stuck"),
            ("attribute", "channel = web"),
        ])
        .resolve()
        .unwrap();
        assert_eq!(
            filter.from.map(format_timestamp).as_deref(),
            Some("2026-01-05T00:00:00.000Z")
        );
        assert_eq!(
            filter.to.map(format_timestamp).as_deref(),
            Some("2026-01-06T00:00:00.000Z"),
            "a date as the end of a range includes that day"
        );
        assert_eq!(filter.variant, Some(vec!["A".into(), "B".into()]));
        assert_eq!(
            (filter.with, filter.without),
            (vec!["A".into()], vec!["C".into()])
        );
        assert_eq!(filter.follows, Some(("A".into(), "B".into())));
        assert_eq!(filter.min_duration, Some(30 * miner::time::MINUTE));
        assert_eq!(filter.max_duration, Some(2 * miner::time::DAY));
        assert_eq!(filter.key, Some(BusinessKey::new("order", "4711")));
        assert_eq!(filter.status, Some(InstanceStatus::Stuck));
        assert_eq!(filter.attribute, Some(("channel".into(), "web".into())));
        assert!(params(&[("activity", " ")]).resolve().unwrap().is_empty());
    }

    #[test]
    fn names_the_parameter_that_is_wrong() {
        for (pairs, expected) in [
            (
                vec![("from", "2026-01-06"), ("to", "2026-01-05")],
                "from (2026-01-06) is not before to (2026-01-05)",
            ),
            (vec![("to", "tomorrow")], "to:"),
            (vec![("edge", "A")], "edge:"),
            (vec![("min_duration", "soon")], "min_duration:"),
            (
                vec![("min_duration", "2d"), ("max_duration", "1h")],
                "min_duration (2d) is longer than max_duration (1h)",
            ),
            (vec![("key", "4711")], "key:"),
            (
                vec![("status", "late")],
                "status: \"late\" is not completed",
            ),
            (
                vec![("attribute", "web")],
                "attribute: \"web\" is not an attribute value",
            ),
        ] {
            let err = params(&pairs).resolve().unwrap_err().to_string();
            assert!(err.contains(expected), "{pairs:?}: {err}");
        }
    }

    #[test]
    fn a_drill_down_replaces_its_own_condition_and_keeps_the_others() {
        let bar = params(&[("activity", "A"), ("min_duration", "1h")]);
        let drilled = bar.with("activity", "B");
        assert_eq!(
            drilled.pairs(),
            [
                ("activity", "B".to_string()),
                ("min_duration", "1h".to_string())
            ]
        );
        assert_eq!(drilled.described(), ["containing B", "taking at least 1h"]);
    }

    #[test]
    fn numbers_read_from_text_inside_a_flattened_query() {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default, deserialize_with = "optional_number")]
            page: Option<u64>,
            #[serde(flatten)]
            bar: FilterParams,
        }
        let page: Page = serde_urlencoded::from_str("page=3&activity=A").unwrap();
        assert_eq!(
            (page.page, page.bar.activity.as_deref()),
            (Some(3), Some("A"))
        );
        let empty: Page = serde_urlencoded::from_str("page=").unwrap();
        assert_eq!(empty.page, None);
        assert!(serde_urlencoded::from_str::<Page>("page=three").is_err());
    }
}
