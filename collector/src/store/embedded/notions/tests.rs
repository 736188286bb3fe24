use super::*;
use crate::store::contract::{assert_same_process, order_events};
use crate::store::notion::from_events;
use crate::store::{CaseFilter, EmbeddedStore, InstanceQuery, KeyLink, StoreRead, StoreWrite};
use miner::log::{BusinessKey, Event};

fn payments() -> NotionQuery {
    NotionQuery {
        kind: Some("payment".into()),
        ..Default::default()
    }
}

/// A store of 200 orders in `dir`, and its payments' statistics.
fn store_of_orders(dir: &Path) -> (EmbeddedStore, ObjectCentric) {
    let (config, events) = order_events(200);
    let store = EmbeddedStore::open(dir, config.instances.clone()).unwrap();
    store.append(&events).unwrap();
    let stats = store.notion_stats(&payments()).unwrap();
    (store, stats)
}

fn reopen(dir: &Path) -> EmbeddedStore {
    let (config, _) = order_events(0);
    EmbeddedStore::open(dir, config.instances.clone()).unwrap()
}

#[test]
fn the_thread_follows_the_events_without_being_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (config, events) = order_events(100);
    let store = EmbeddedStore::open(dir.path(), config.instances.clone()).unwrap();
    store.append(&events).unwrap();
    let notions = &store.notions;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let follower = notions.lock();
        let keys: i64 = follower
            .conn
            .query_row("SELECT COUNT(*) FROM notion_traces", [], |r| r.get(0))
            .unwrap();
        let (followed, newest) = follower.followed().unwrap();
        if followed == newest && keys > 100 {
            break;
        }
        drop(follower);
        assert!(
            std::time::Instant::now() < deadline,
            "the events were not followed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_reopened_store_carries_on_and_a_lost_or_damaged_file_is_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let (store, first) = store_of_orders(dir.path());
    drop(store);
    let file = dir.path().join(FILE);
    for damage in [None, Some(&b""[..]), Some(&b"not a database at all"[..])] {
        if let Some(bytes) = damage {
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            std::fs::write(&file, bytes).unwrap();
        }
        let store = reopen(dir.path());
        let again = store.notion_stats(&payments()).unwrap();
        assert_eq!(again.kinds, first.kinds);
        assert_same_process(&again.per_kind[0], &first.per_kind[0]);
    }
}

#[test]
fn a_read_far_behind_is_not_kept_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let (store, first) = store_of_orders(dir.path());
    drop(store);
    std::fs::remove_file(dir.path().join(FILE)).unwrap();
    let mut notions = Notions::open(
        dir.path(),
        &dir.path().join(super::super::DB_FILE),
        Arc::default(),
    )
    .unwrap();
    notions.behind_at_most = 10;
    let none = |_: &Connection| Ok((Vec::new(), Vec::new()));
    assert!(
        notions.stats(&payments(), none).unwrap().is_none(),
        "the thread sleeps before it follows"
    );
    notions.behind_at_most = i64::MAX;
    let caught_up = notions.stats(&payments(), none).unwrap().unwrap();
    assert_same_process(&caught_up.per_kind[0], &first.per_kind[0]);
    let store = reopen(dir.path());
    let exact = from_events(&store, &payments()).unwrap();
    assert_same_process(&caught_up.per_kind[0], &exact.per_kind[0]);
}

#[test]
fn the_writer_counts_as_busy_while_and_just_after_it_writes() {
    let load = WriterLoad::default();
    assert!(!load.busy(), "nothing written");
    load.starts();
    assert!(load.busy(), "a write under way");
    std::thread::sleep(Duration::from_millis(20));
    load.done(Duration::from_millis(20));
    assert!(load.busy(), "the write took the whole interval");
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        load.busy(),
        "one interval after, the one before still counts"
    );
    std::thread::sleep(Duration::from_millis(50));
    assert!(!load.busy(), "two quiet intervals");
}

/// The labels of the instances with attribute `name` equal to `value`.
fn with_attribute(store: &EmbeddedStore, name: &str, value: &str) -> Vec<String> {
    let page = store
        .instances(&InstanceQuery {
            cases: CaseFilter {
                attribute: Some((name.into(), value.into())),
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap();
    let mut labels: Vec<String> = page.instances.into_iter().map(|i| i.label).collect();
    labels.sort();
    labels
}

/// Rows in the index of attribute values, and events not followed yet.
fn index_and_tail(store: &EmbeddedStore) -> (i64, i64) {
    store.notion_stats(&NotionQuery::default()).unwrap();
    let follower = store.notions.lock();
    let rows = follower
        .conn
        .query_row("SELECT COUNT(*) FROM notion_attribute_values", [], |r| {
            r.get(0)
        })
        .unwrap();
    let (followed, newest) = follower.followed().unwrap();
    (rows, newest - followed)
}

#[test]
fn the_attribute_filter_reads_the_index_and_the_events_not_followed_yet() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    let hour = miner::time::HOUR;
    let values: [(&str, serde_json::Value); 6] = [
        ("channel", "web".into()),
        ("amount", 120.into()),
        ("express", true.into()),
        ("ratio", 0.5.into()),
        ("nested", serde_json::json!({"a": 1})),
        ("note", serde_json::Value::Null),
    ];
    let mut events = Vec::new();
    for (i, (name, value)) in values.iter().enumerate() {
        let order = i.to_string();
        let t = i as i64 * 1_000;
        events.push(Event::keyed(
            &format!("{i}-a"),
            "a",
            t,
            &[("order", &order)],
        ));
        let mut b = Event::keyed(&format!("{i}-b"), "b", t + 1, &[("order", &order)]);
        b.attributes.insert((*name).into(), value.clone());
        events.push(b);
    }
    events.push(Event::keyed("late", "a", 10 * hour, &[("order", "100")]));
    store.append(&events).unwrap();
    let asked = [
        ("channel", "web", vec!["order=0"]),
        ("amount", "120", vec!["order=1"]),
        ("express", "true", vec!["order=2"]),
        ("ratio", "0.5", vec!["order=3"]),
        ("nested", r#"{"a":1}"#, vec!["order=4"]),
        ("note", "null", vec![]),
        ("amount", "121", vec![]),
    ];
    let check = |store: &EmbeddedStore, when: &str| {
        for (name, value, expected) in &asked {
            assert_eq!(
                &with_attribute(store, name, value),
                expected,
                "{name}={value} {when}"
            );
        }
    };
    check(&store, "as stored");
    let (rows, tail) = index_and_tail(&store);
    assert_eq!(
        (rows, tail),
        (5, 0),
        "every event followed, each value indexed"
    );
    check(&store, "from the index");

    store
        .link(&[KeyLink::new(
            BusinessKey::new("order", "0"),
            BusinessKey::new("order", "100"),
        )])
        .unwrap();
    assert!(store.retain(hour).unwrap().instances > 0);
    let (rows, _) = index_and_tail(&store);
    assert_eq!(rows, 1, "the deleted instances' values leave the index");
    assert_eq!(
        with_attribute(&store, "amount", "120"),
        Vec::<String>::new()
    );
    let merged = with_attribute(&store, "channel", "web");
    assert_eq!(merged.len(), 1, "the instance that absorbed order 0");
}

#[test]
fn damaged_steps_are_answered_from_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = store_of_orders(dir.path());
    store
        .notions
        .lock()
        .conn
        .execute("UPDATE notion_traces SET steps = x'ff'", [])
        .unwrap();
    let filtered = NotionQuery {
        cases: CaseFilter::in_status(crate::store::InstanceStatus::Completed),
        ..payments()
    };
    let exact = from_events(&store, &filtered).unwrap();
    // From the totals less the keys left out, and (with the slider) from every key's steps.
    let slider = NotionQuery {
        activities: Some(vec![exact.per_kind[0].activities[0].name.clone()]),
        ..filtered.clone()
    };
    for query in [filtered, slider] {
        let answer = store.notion_stats(&query).unwrap();
        let exact = from_events(&store, &query).unwrap();
        assert!(exact.per_kind[0].cases > 0);
        assert_same_process(&answer.per_kind[0], &exact.per_kind[0]);
    }
}

#[test]
fn events_given_the_numbers_of_deleted_newest_events_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    let hour = miner::time::HOUR;
    // The newest event stored (the highest number) belongs to the oldest order.
    store
        .append(&[Event::keyed("new", "a", 10 * hour, &[("order", "new")])])
        .unwrap();
    let mut old = Event::keyed("old", "a", 0, &[("order", "old")]);
    old.attributes.insert("channel".into(), "mail".into());
    store.append(&[old]).unwrap();
    let orders = NotionQuery {
        kind: Some("order".into()),
        ..Default::default()
    };
    assert_eq!(store.notion_stats(&orders).unwrap().union.cases, 2);
    {
        // No pass between the deletion and the next event: it takes the deleted number.
        let _held = store.notions.lock();
        assert_eq!(store.retain(hour).unwrap().instances, 1);
        let mut again = Event::keyed("again", "b", 10 * hour, &[("order", "again")]);
        again.attributes.insert("channel".into(), "web".into());
        store.append(&[again]).unwrap();
        // Before the thread has taken the old key out: its row is the new key's now.
        assert_eq!(with_attribute(&store, "channel", "web"), ["order=again"]);
        assert_eq!(
            with_attribute(&store, "channel", "mail"),
            Vec::<String>::new()
        );
    }
    let kept = store.notion_stats(&orders).unwrap();
    let exact = from_events(&store, &orders).unwrap();
    assert_eq!(exact.union.cases, 2, "new and again");
    assert_same_process(&kept.union, &exact.union);
    assert_eq!(with_attribute(&store, "channel", "web"), ["order=again"]);
}

#[test]
fn two_processes_following_one_store_keep_the_notions_right() {
    let dir = tempfile::tempdir().unwrap();
    let one = reopen(dir.path());
    let other = reopen(dir.path());
    let orders = NotionQuery {
        kind: Some("order".into()),
        ..Default::default()
    };
    // Order x's steps pass from one process to the other and back, each following them.
    for (i, store) in [&one, &other, &one].into_iter().enumerate() {
        let step = Event::keyed(
            &format!("x-{i}"),
            &format!("s{i}"),
            i as i64,
            &[("order", "x")],
        );
        store.append(&[step]).unwrap();
        store.notion_stats(&orders).unwrap();
    }
    for store in [&one, &other] {
        let kept = store.notion_stats(&orders).unwrap();
        let exact = from_events(store, &orders).unwrap();
        assert_eq!(exact.union.variants.len(), 1);
        assert_same_process(&kept.union, &exact.union);
    }
}

#[test]
fn the_store_says_how_far_behind_its_notions_are() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = store_of_orders(dir.path());
    assert_eq!(store.notions_behind().unwrap(), Some(0), "a read caught up");
    let (_, events) = order_events(3);
    let renamed: Vec<Event> = events
        .into_iter()
        .map(|mut e| {
            e.id = format!("again-{}", e.id);
            e
        })
        .collect();
    let _held = store.notions.lock();
    store.append(&renamed).unwrap();
    assert_eq!(store.notions_behind().unwrap(), Some(renamed.len() as u64));
}

#[test]
fn attribute_values_are_suggested_from_the_whole_history_and_leave_with_retention() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    let hour = miner::time::HOUR;
    let mut events = Vec::new();
    for i in 0..80i64 {
        let order = i.to_string();
        let at = if i == 0 { 0 } else { 10 * hour + i };
        let mut shipped = Event::keyed(&format!("{i}"), "shipped", at, &[("order", &order)]);
        let carrier = if i == 0 { "freight" } else { "parcel" };
        shipped.attributes.insert("carrier".into(), carrier.into());
        shipped.attributes.insert("ref".into(), (1000 + i).into());
        shipped
            .attributes
            .insert(miner::log::END_ATTRIBUTE.into(), (at + 5).into());
        events.push(shipped);
    }
    store.append(&events).unwrap();
    // Suggestions are read as far as the thread followed: a notion read catches it up.
    let followed = |store: &EmbeddedStore| store.notion_stats(&payments()).unwrap();
    followed(&store);
    let sampled = crate::store::suggest::sampled(&store, 500).unwrap();
    assert!(
        !sampled.contains(&"carrier=freight".to_string()),
        "the oldest order is beyond the newest instances' sample: {sampled:?}"
    );
    let expected = ["carrier=parcel", "carrier=freight", "ref="];
    assert_eq!(store.attribute_suggestions(500).unwrap(), expected);
    assert_eq!(store.attribute_suggestions(1).unwrap(), ["carrier=parcel"]);

    drop(store);
    std::fs::remove_file(dir.path().join(FILE)).unwrap();
    let store = reopen(dir.path());
    {
        // Held, the thread follows nothing meanwhile.
        let follower = store.notions.lock();
        if follower.followed().unwrap().0 == 0 {
            assert_eq!(
                store.attribute_suggestions(500).unwrap(),
                sampled,
                "nothing followed yet: the newest instances are sampled"
            );
        }
    }
    followed(&store);
    assert_eq!(
        store.attribute_suggestions(500).unwrap(),
        expected,
        "made again from the store"
    );
    assert!(store.retain(hour).unwrap().instances > 0);
    followed(&store);
    assert_eq!(
        store.attribute_suggestions(500).unwrap(),
        ["carrier=parcel", "ref="],
        "no key holds freight after retention"
    );
}
