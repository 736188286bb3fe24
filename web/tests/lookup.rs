//! Finding an instance: under an old id after it was merged into another (its page and its
//! JSON redirect to the instance it became; an id that never existed is a 404 page in the
//! layout), and from the header's search box (one hit opens it, more list them).

mod support;

use axum::http::StatusCode;
use collector::store::{EmbeddedStore, StoreRead, StoreWrite};
use collector::CollectorConfig;
use miner::log::Event;
use std::sync::Arc;

fn event(id: &str, t: i64, keys: &[(&str, &str)]) -> Event {
    Event::keyed(id, &id.to_uppercase(), t, keys)
}

#[tokio::test]
async fn an_instance_is_found_by_an_old_id_or_by_a_key_from_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(dir.path(), Default::default()).unwrap());
    store
        .append(&[event("placed", 10, &[("order", "7")])])
        .unwrap();
    store
        .append(&[event("picked", 30, &[("pick", "x")])])
        .unwrap();
    store
        .append(&[event("fetch", 20, &[("order", "7"), ("pick", "x")])])
        .unwrap();
    let live = store.instances(&Default::default()).unwrap().instances[0].id;
    let merges = store.instance(live).unwrap().unwrap().merges;
    let absorbed = merges[0].absorbed;
    let router = support::router(store, CollectorConfig::default());
    for prefix in ["/instances", "/api/instances"] {
        let (status, to) = support::location(&router, &format!("{prefix}/{absorbed}")).await;
        assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
        assert_eq!(to, Some(format!("{prefix}/{live}")));
    }
    for (q, to) in [
        ("x", format!("/instances/{live}")),
        ("pick%3Dx", format!("/instances/{live}")),
        ("nothing", "/instances?q=nothing".to_string()),
        ("", "/instances".to_string()),
    ] {
        let (_, found) = support::location(&router, &format!("/search?q={q}")).await;
        assert_eq!(found, Some(to), "{q}");
    }
    let (status, page) = support::get(&router, "/instances/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        page.contains("instance 999999 does not exist") && page.contains("<nav>"),
        "{page}"
    );
}

#[tokio::test]
async fn a_large_instance_is_paged_and_its_page_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(dir.path(), Default::default()).unwrap());
    // One order with 1,200 events and 151 keys.
    let events: Vec<Event> = (0..1_200)
        .map(|i| {
            let item = format!("i{}", i % 150);
            let mut e = event(&format!("step{i}"), i, &[("order", "big"), ("item", &item)]);
            e.activity = format!("Step {}", i % 7);
            e
        })
        .collect();
    store.append(&events).unwrap();
    let id = store.instances(&Default::default()).unwrap().instances[0].id;
    let router = support::router(store, CollectorConfig::default());

    let (_, first) = support::get(&router, &format!("/instances/{id}")).await;
    assert!(
        first.contains("1200 events from"),
        "the summary counts them all"
    );
    assert!(
        first.contains("events 1–500 of 1200")
            && first.contains(&format!("/instances/{id}?page=1"))
    );
    assert_eq!(first.matches("<tr><td>").count(), 500);
    assert!(
        first.contains("and 51 more"),
        "100 of the 151 keys as chips"
    );
    assert!(first.len() < 400_000, "{} bytes", first.len());

    let (_, last) = support::get(&router, &format!("/instances/{id}?page=2")).await;
    assert!(last.contains("events 1001–1200 of 1200") && !last.contains("later events"));
    assert_eq!(last.matches("<tr><td>").count(), 200);
    let (status, _) = support::get(&router, &format!("/instances/{id}?page=3")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
