//! A log with more activities than a map draws: the map shows the most frequent ones and says
//! so, instead of drawing everything into a page of hundreds of megabytes.

mod support;

use flowsight_web::reports::MAX_DRAWN_ACTIVITIES;

/// An XES log of `activities` activities, activity `i` in `i + 1` traces (so the most frequent
/// are the highest numbers).
fn many_activities(activities: usize) -> String {
    let mut xes = String::from("<log xes.version=\"1.0\">");
    for trace in 0..activities {
        xes += &format!("<trace><string key=\"concept:name\" value=\"c{trace}\"/>");
        for (step, a) in (trace..activities).enumerate() {
            xes += &format!(
                "<event><string key=\"concept:name\" value=\"step {a}\"/><date key=\"time:timestamp\" value=\"2026-01-05T08:{:02}:{:02}Z\"/></event>",
                step / 60 % 60,
                step % 60
            );
        }
        xes += "</trace>";
    }
    xes + "</log>"
}

#[tokio::test]
async fn a_map_draws_the_most_frequent_activities_up_to_its_limit_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("many.xes");
    let total = MAX_DRAWN_ACTIVITIES + 100;
    std::fs::write(&log, many_activities(total)).unwrap();
    let (_store, router) = support::served_file(&log);
    let (_, page) = support::get(&router, "/map?activities=100").await;
    assert!(
        page.contains(&format!(
            "showing {MAX_DRAWN_ACTIVITIES} of {total} activities (a map draws at most the {MAX_DRAWN_ACTIVITIES} most frequent activities"
        )),
        "{}",
        &page[page.find("map-summary").unwrap_or(0)..][..400]
    );
    let (_, svg) = support::get(&router, "/api/map.svg?activities=100").await;
    assert_eq!(svg.matches(r#"class="node""#).count(), MAX_DRAWN_ACTIVITIES);
    assert!(
        svg.contains(&format!("data-activity=\"step {}\"", total - 1)),
        "the most frequent is drawn"
    );
    assert!(
        !svg.contains("data-activity=\"step 0\""),
        "the rarest is not"
    );
}
