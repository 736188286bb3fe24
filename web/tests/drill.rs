//! A drill-down from a step lists its instances with a histogram of that step's times: for a
//! path, one time per occurrence of the pair in those instances; for an activity, one per
//! occurrence followed by another step. Counted against the same instances exported as XES.

mod support;

use fixtures::ORDER_FLOW_CONFIG;
use miner::formats::xes::read_event_log;

/// The sum of the histogram's bins on a page.
fn binned(page: &str) -> u64 {
    page.match_indices("class=\"bin\"")
        .map(|(i, _)| {
            let rest = &page[i..];
            let at = rest.find("data-count=\"").unwrap() + 12;
            rest[at..at + rest[at..].find('"').unwrap()]
                .parse::<u64>()
                .unwrap()
        })
        .sum()
}

/// How often `matches` holds for consecutive activity pairs in the log exported under `query`.
async fn pairs(router: &axum::Router, query: &str, matches: impl Fn(&str, &str) -> bool) -> u64 {
    let xes = support::get(router, &format!("/export/log.xes?{query}"))
        .await
        .1;
    let (log, _) = read_event_log(xes.as_bytes()).unwrap();
    (0..log.case_count())
        .map(|i| {
            let names = log.activity_names(i);
            names.windows(2).filter(|w| matches(w[0], w[1])).count() as u64
        })
        .sum()
}

#[tokio::test]
async fn a_drill_down_shows_the_steps_times_for_each_occurrence() {
    let (_dir, _store, router, _) = support::served_orders(ORDER_FLOW_CONFIG, 400);
    let edge = "edge=FetchGoodsCommand%3EGoodsFetchedEvent";
    let page = support::get(&router, &format!("/instances?{edge}")).await.1;
    assert!(page.contains("Time from FetchGoodsCommand to GoodsFetchedEvent in these instances"));
    let expected = pairs(&router, edge, |a, b| {
        a == "FetchGoodsCommand" && b == "GoodsFetchedEvent"
    })
    .await;
    assert!(expected > 0);
    assert_eq!(binned(&page), expected);

    let activity = "activity=RetrievePaymentCommand&absent=PaymentFailedEvent";
    let page = support::get(&router, &format!("/instances?{activity}"))
        .await
        .1;
    assert!(page.contains("Time from RetrievePaymentCommand to the next step"));
    let expected = pairs(&router, activity, |a, _| a == "RetrievePaymentCommand").await;
    assert_eq!(binned(&page), expected);

    let plain = support::get(&router, "/instances?absent=PaymentFailedEvent")
        .await
        .1;
    assert!(
        !plain.contains("id=\"step-times\""),
        "no step, no histogram"
    );
}
