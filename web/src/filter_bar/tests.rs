//! The filter bar's parameters: parsed, resolved, described and drilled.

use super::*;
use miner::time::format_timestamp;

fn params(pairs: &[(&str, &str)]) -> FilterParams {
    let query: String = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::routes::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    serde_html_form::from_str(&query).unwrap()
}

#[test]
fn resolves_every_condition_of_the_bar() {
    let filter = params(&[
        ("from", "2026-01-05"),
        ("to", "2026-01-05"),
        ("variant", "A → B"),
        ("activity", "A"),
        ("activity", "B"),
        ("absent", "C"),
        ("absent", "D"),
        ("edge", "A>B"),
        ("edge", "B>A"),
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
        (vec!["A".into(), "B".into()], vec!["C".into(), "D".into()]),
        "each activity given, none of those absent"
    );
    assert_eq!(
        filter.follows,
        [
            ("A".to_string(), "B".to_string()),
            ("B".to_string(), "A".to_string())
        ]
    );
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
        (vec![("edge", "A>B"), ("edge", "A")], "edge: \"A\""),
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
fn a_drill_down_adds_its_step_and_keeps_the_others() {
    let bar = params(&[
        ("activity", "A"),
        ("min_duration", "1h"),
        ("status", "stuck"),
    ]);
    let drilled = bar.with("activity", "B").with("status", "running");
    assert_eq!(
        drilled.pairs(),
        [
            ("activity", "A".to_string()),
            ("activity", "B".to_string()),
            ("min_duration", "1h".to_string()),
            ("status", "running".to_string())
        ],
        "the map counted B's instances among A's"
    );
    assert_eq!(drilled.with("activity", "B"), drilled, "a step given once");
    assert_eq!(
        drilled.described(),
        [
            "containing A",
            "containing B",
            "taking at least 1h",
            "running"
        ]
    );
}

#[test]
fn each_repeated_condition_can_be_left_out_alone() {
    let given = params(&[
        ("activity", "A"),
        ("activity", "B"),
        ("edge", "A>B"),
        ("status", "stuck"),
    ]);
    let bar = FilterBar::new("/variants", &given, Suggestions::default());
    assert_eq!(bar.values("activity"), ["A", "B"]);
    assert_eq!(
        bar.kept(),
        [
            ("activity", "A".to_string()),
            ("activity", "B".to_string()),
            ("edge", "A>B".to_string())
        ]
    );
    assert_eq!(bar.fixed(), ["stuck"]);
    assert_eq!(
        bar.removable(),
        [
            (
                "containing A".to_string(),
                "/variants?activity=B&edge=A%3EB&status=stuck".to_string()
            ),
            (
                "containing B".to_string(),
                "/variants?activity=A&edge=A%3EB&status=stuck".to_string()
            ),
            (
                "where A is directly followed by B".to_string(),
                "/variants?activity=A&activity=B&status=stuck".to_string()
            ),
        ]
    );
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
    let page: Page = serde_html_form::from_str("page=3&activity=A").unwrap();
    assert_eq!(
        (page.page, page.bar.activity),
        (Some(3), vec!["A".to_string()])
    );
    let both: Page = serde_html_form::from_str("activity=A&page=3&activity=B").unwrap();
    assert_eq!(
        both.bar.activity,
        ["A", "B"],
        "repeated inside a flattened query"
    );
    let empty: Page = serde_html_form::from_str("page=").unwrap();
    assert_eq!(empty.page, None);
    assert!(serde_html_form::from_str::<Page>("page=three").is_err());
}
