//! The filter bar every page shares: which instances a page, an API answer and an export
//! cover (time range, case duration, variant, activity present or absent, a path, a key, a
//! status, an attribute value), in the URL, so that a link, a reload and a download all show the same instances.

use crate::WebError;
use collector::config::parse_duration;
use collector::store::{CaseFilter, InstanceStatus, StatsQuery, Store};
use miner::log::BusinessKey;
use miner::time::{parse_timestamp, Micros};
use serde::{Deserialize, Deserializer, Serialize};
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
    /// Only instances containing this activity (repeat for several: each of them).
    #[arg(long)]
    #[serde(deserialize_with = "one_or_many")]
    pub activity: Vec<String>,
    /// Only instances not containing this activity (repeat for several: none of them).
    #[arg(long)]
    #[serde(deserialize_with = "one_or_many")]
    pub absent: Vec<String>,
    /// Only instances where `TO` directly follows `FROM`, written `FROM>TO` (repeat for
    /// several: each of these paths).
    #[arg(long)]
    #[serde(deserialize_with = "one_or_many")]
    pub edge: Vec<String>,
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

/// The values given of a parameter that may repeat, trimmed, the empty ones left out.
fn listed(values: &[String]) -> impl Iterator<Item = &str> {
    values.iter().map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// One value of a parameter that may repeat, as people read it.
fn repeated_phrase(name: &str, value: &str) -> String {
    match name {
        "activity" => format!("containing {value}"),
        "absent" => format!("without {value}"),
        _ => format!(
            "where {}",
            value.replacen('>', " is directly followed by ", 1)
        ),
    }
}

/// A parameter that may repeat, given once or several times (`activity=A&activity=B`, as a
/// form sends it) or once as text (a flattened query string gives everything as text).
fn one_or_many<'de, D>(d: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Given::deserialize(d)? {
        Given::One(one) => vec![one],
        Given::Many(many) => many,
    })
}

impl FilterParams {
    /// The parameters that may repeat, each value one more condition, by name.
    fn repeated(&self) -> [(&'static str, &Vec<String>); 3] {
        [
            ("activity", &self.activity),
            ("absent", &self.absent),
            ("edge", &self.edge),
        ]
    }

    /// The values of the parameter `name` if it may repeat, to change.
    fn repeated_mut(&mut self, name: &str) -> Option<&mut Vec<String>> {
        match name {
            "activity" => Some(&mut self.activity),
            "absent" => Some(&mut self.absent),
            "edge" => Some(&mut self.edge),
            _ => None,
        }
    }

    /// Whether the parameter `name` may repeat.
    fn repeats(&self, name: &str) -> bool {
        self.repeated().iter().any(|(n, _)| *n == name)
    }

    /// The parameters given, in URL order, for links that keep the filters.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let single = |name, value| given(value).map(|v| (name, v.to_string()));
        let mut pairs: Vec<(&'static str, String)> = [
            ("from", &self.from),
            ("to", &self.to),
            ("variant", &self.variant),
        ]
        .into_iter()
        .filter_map(|(name, value)| single(name, value))
        .collect();
        for (name, values) in self.repeated() {
            pairs.extend(listed(values).map(|v| (name, v.to_string())));
        }
        pairs.extend(
            [
                ("min_duration", &self.min_duration),
                ("max_duration", &self.max_duration),
                ("key", &self.key),
                ("status", &self.status),
                ("attribute", &self.attribute),
            ]
            .into_iter()
            .filter_map(|(name, value)| single(name, value)),
        );
        pairs
    }

    /// These filters with one condition more (a drill-down from a number): an activity or a
    /// path is added to those given, any other condition replaced.
    pub fn with(&self, name: &str, value: &str) -> Self {
        let mut changed = self.clone();
        if let Some(list) = changed.repeated_mut(name) {
            if !list.iter().any(|v| v.trim() == value) {
                list.push(value.to_string());
            }
            return changed;
        }
        let slot = match name {
            "variant" => &mut changed.variant,
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
        let follows = listed(&self.edge)
            .map(|edge| {
                let (a, b) = edge.split_once('>').ok_or_else(|| {
                    WebError::BadRequest(format!(
                        "edge: {edge:?} is not a path; write FROM>TO (the second activity directly follows the first)"
                    ))
                })?;
                Ok((a.to_string(), b.to_string()))
            })
            .collect::<Result<Vec<_>, WebError>>()?;
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
            with: listed(&self.activity).map(str::to_string).collect(),
            without: listed(&self.absent).map(str::to_string).collect(),
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
        for (name, values) in self.repeated() {
            parts.extend(listed(values).map(|v| repeated_phrase(name, v)));
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
    /// Attribute values, `name=value`, most common first (`name=` for an attribute with many).
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

    /// The values given of a parameter that may repeat.
    pub fn values(&self, name: &str) -> Vec<String> {
        self.params
            .pairs()
            .into_iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .collect()
    }

    /// The conditions in force but those that may repeat (see [`Self::removable`]), as people
    /// read them.
    pub fn fixed(&self) -> Vec<String> {
        let mut fixed = self.params.clone();
        for (name, _) in self.params.repeated() {
            if let Some(values) = fixed.repeated_mut(name) {
                values.clear();
            }
        }
        fixed.described()
    }

    /// The values given of the parameters that may repeat, in URL order: the form keeps them
    /// beside the fields that add one more.
    pub fn kept(&self) -> Vec<(&'static str, String)> {
        self.params
            .pairs()
            .into_iter()
            .filter(|(name, _)| self.params.repeats(name))
            .collect()
    }

    /// Each value given of the parameters that may repeat, with the page's address without it.
    pub fn removable(&self) -> Vec<(String, String)> {
        let pairs = self.params.pairs();
        pairs
            .iter()
            .enumerate()
            .filter(|(_, (name, _))| self.params.repeats(name))
            .map(|(i, (name, value))| {
                let rest: Vec<_> = pairs
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, pair)| pair.clone())
                    .collect();
                let query = crate::routes::encode_query(&rest);
                (
                    repeated_phrase(name, value),
                    format!("{}?{query}", self.page),
                )
            })
            .collect()
    }

    /// A date field's value: the date part of what was given.
    pub fn date(&self, name: &str) -> String {
        let value = self.value(name);
        value.get(..10).map(str::to_string).unwrap_or(value)
    }
}

/// Most activities the bar suggests.
const SUGGESTED: usize = 500;

/// What the bar suggests: every instance's activities, most frequent first (from the running
/// totals, so as cheap as the overview); the stored key kinds; and the attribute values the
/// store suggests (see [`collector::store::StoreRead::attribute_suggestions`]).
pub fn suggestions(store: &dyn Store) -> Result<Suggestions, WebError> {
    let stats = store.process_stats(&StatsQuery::default())?;
    let mut activities: Vec<_> = stats.activities.iter().collect();
    activities.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    Ok(Suggestions {
        activities: activities
            .into_iter()
            .take(SUGGESTED)
            .map(|a| a.name.clone())
            .collect(),
        keys: store.key_kinds()?,
        attributes: store.attribute_suggestions(SUGGESTED)?,
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
mod tests;
