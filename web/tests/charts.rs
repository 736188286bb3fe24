//! The charts of the selected instances agree with the instances exported as XES: the cases
//! over time count every instance once as started and every completed one once as completed,
//! with the work in progress left at the end; the duration histogram puts each instance's
//! first-to-last time in its bin; the dotted chart draws each listed instance's events. Under
//! a filter, each counts only what the filter selects; each chart downloads as SVG, PNG, CSV.

mod support;

use fixtures::ORDER_FLOW_CONFIG;
use miner::formats::xes::read_event_log;
use miner::time::Micros;

async fn get(router: &axum::Router, uri: &str) -> String {
    let (status, body) = support::get(router, uri).await;
    assert!(status.is_success(), "{uri}: {status}: {body}");
    body
}

/// The rows of a CSV answer, without its header.
fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// Each exported instance's duration (last minus first event).
fn durations(xes: &str) -> Vec<Micros> {
    let (log, _) = read_event_log(xes.as_bytes()).unwrap();
    log.cases()
        .map(|c| {
            let times: Vec<Micros> = c.timestamps.iter().flatten().copied().collect();
            times.iter().max().unwrap() - times.iter().min().unwrap()
        })
        .collect()
}

#[tokio::test]
async fn the_charts_count_the_instances_the_filters_select() {
    let (_dir, _store, router, _) = support::served_orders(ORDER_FLOW_CONFIG, 500);
    for filter in ["", "absent=PaymentFailedEvent", "min_duration=40m"] {
        let api: serde_json::Value = serde_json::from_str(
            &get(&router, &format!("/api/instances?{filter}&limit=1000")).await,
        )
        .unwrap();
        let total = api["total"].as_u64().unwrap();
        let completed = api["instances"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["status"] == "completed")
            .count() as u64;
        assert!(total > 0 && completed > 0 && completed < total, "{filter}");

        let over_time = rows(&get(&router, &format!("/export/cases-over-time.csv?{filter}")).await);
        let sum = |column: usize| -> u64 {
            over_time
                .iter()
                .map(|r| r[column].parse::<u64>().unwrap())
                .sum()
        };
        assert_eq!(sum(1), total, "every instance starts once ({filter})");
        assert_eq!(
            sum(2),
            completed,
            "every completed one completes once ({filter})"
        );
        let left = over_time.last().unwrap()[3].parse::<u64>().unwrap();
        assert_eq!(left, total - completed, "in progress at the end ({filter})");

        let bins = rows(&get(&router, &format!("/export/durations.csv?{filter}")).await);
        let xes = get(&router, &format!("/export/log.xes?{filter}")).await;
        let exported = durations(&xes);
        assert_eq!(exported.len() as u64, total);
        for bin in &bins {
            let from = (bin[0].parse::<f64>().unwrap() * 1e6).round() as Micros;
            let to = (bin[1].parse::<f64>().unwrap() * 1e6).round() as Micros;
            let inside = exported.iter().filter(|&&d| d >= from && d < to).count() as u64;
            assert_eq!(
                bin[2].parse::<u64>().unwrap(),
                inside,
                "bin {from}..{to} ({filter})"
            );
        }
        assert_eq!(
            bins.iter()
                .map(|b| b[2].parse::<u64>().unwrap())
                .sum::<u64>(),
            total
        );

        let dots = rows(&get(&router, &format!("/export/dotted.csv?{filter}")).await);
        let drawn: std::collections::BTreeSet<&str> = dots.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            drawn.len() as u64,
            total.min(200),
            "the latest 200 at most ({filter})"
        );
        if filter.starts_with("absent") {
            assert!(dots.iter().all(|r| r[2] != "PaymentFailedEvent"));
        }
    }
    let page = get(&router, "/charts?absent=PaymentFailedEvent").await;
    for chart in ["cases-over-time", "durations", "dotted"] {
        assert!(page.contains(&format!("id=\"chart-{chart}\"")), "{chart}");
        assert!(page.contains(&format!("/export/{chart}.csv?absent=PaymentFailedEvent")));
    }
    let (status, svg) = support::get(&router, "/export/durations.svg").await;
    assert!(status.is_success() && svg.starts_with("<svg") && svg.contains("class=\"bin\""));
    let (status, png) = support::get_bytes(&router, "/export/dotted.png").await;
    assert!(status.is_success() && png.starts_with(b"\x89PNG"));
    let (status, body) = support::get(&router, "/export/durations.pdf").await;
    assert_eq!(status, 404);
    assert!(body.contains("svg, png or csv"), "{body}");
}
