//! Discovery on envelope shapes written for the tests, each with its ground truth: the
//! instances the discovered rules form must be exactly the true ones.

use super::*;
use crate::mapping::map_event;
use fixtures::SplitMix64;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

/// The instances `config` forms over `messages`: sets of message indexes.
fn instances(config: &CollectorConfig, messages: &[Value]) -> BTreeSet<BTreeSet<usize>> {
    let mut first_holder: HashMap<String, usize> = HashMap::new();
    let mut links = petgraph::unionfind::UnionFind::<usize>::new(messages.len());
    let mut keyed = BTreeSet::new();
    for (i, message) in messages.iter().enumerate() {
        let raw = message.to_string();
        let event = map_event(&config.mapping, message.clone(), raw.as_bytes(), "test")
            .unwrap_or_else(|e| panic!("message {i} does not map: {e}"));
        for key in event.keys {
            keyed.insert(i);
            let holder = *first_holder.entry(key.to_string()).or_insert(i);
            links.union(holder, i);
        }
    }
    let mut groups: HashMap<usize, BTreeSet<usize>> = HashMap::new();
    for i in keyed {
        groups.entry(links.find(i)).or_default().insert(i);
    }
    groups.into_values().collect()
}

/// The true instances: messages grouped by the case number each was generated for.
fn truth(cases: &[usize]) -> BTreeSet<BTreeSet<usize>> {
    let mut groups: HashMap<usize, BTreeSet<usize>> = HashMap::new();
    for (i, &case) in cases.iter().enumerate() {
        groups.entry(case).or_default().insert(i);
    }
    groups.into_values().collect()
}

fn discovered(messages: &[Value]) -> (Discovery, CollectorConfig) {
    let discovery = discover(messages, &DiscoverOptions::default()).expect("discovers");
    let (text, config) = discovery.config("the test").expect("the rules parse");
    assert!(
        text.contains("[[mapping.keys]]") || !discovery.found_a_key(),
        "{text}"
    );
    (discovery, config)
}

/// The discovery of `messages`, checked to form exactly the true instances of `cases`.
fn discovered_as(messages: &[Value], cases: &[usize]) -> (Discovery, CollectorConfig) {
    let (discovery, config) = discovered(messages);
    assert_eq!(
        instances(&config, messages),
        truth(cases),
        "{}",
        discovery.summary()
    );
    (discovery, config)
}

fn time(minute: usize) -> String {
    miner::time::format_timestamp(1_767_600_000_000_000 + minute as i64 * 60_000_000)
}

#[test]
fn the_generated_order_flow_gives_the_instances_of_its_hand_written_rules() {
    let flow = fixtures::generate(&fixtures::Scenario {
        orders: 400,
        ..fixtures::Scenario::default()
    });
    let messages: Vec<Value> = flow
        .events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    let (discovery, config) = discovered(&messages);
    let hand_written = CollectorConfig::parse(fixtures::ORDER_FLOW_CONFIG).unwrap();
    assert_eq!(
        instances(&config, &messages),
        instances(&hand_written, &messages),
        "{}",
        discovery.summary()
    );
    assert_eq!(discovery.envelope.activity.pointer, "/type");
    assert_eq!(discovery.envelope.time.pointer, "/time");
    assert_eq!(discovery.envelope.id.as_ref().unwrap().pointer, "/id");
    assert_eq!(
        discovery.envelope.trace_id.as_ref().unwrap().pointer,
        "/traceid"
    );
    let order = discovery.applied_keys().next().unwrap();
    assert_eq!(order.kind, "order");
    let pointers: Vec<&str> = order.fields.iter().map(|f| f.pointer.as_str()).collect();
    assert_eq!(pointers, ["/data/orderId", "/data/refId"]);
    let causation: Vec<&str> = discovery
        .causation
        .iter()
        .map(|f| f.pointer.as_str())
        .collect();
    assert_eq!(
        causation,
        ["/correlationid"],
        "a reply's link to its command is no key"
    );
    let customer = discovery.keys.iter().find(|k| k.kind == "customer");
    assert!(customer.is_none_or(|c| !c.applied()), "{customer:?}");
    let mut ends: Vec<&str> = discovery
        .end_activities
        .iter()
        .map(|e| e.activity.as_str())
        .collect();
    ends.sort();
    assert_eq!(ends, ["OrderCancelledEvent", "OrderCompletedEvent"]);
    assert_eq!(config.instances.end_activities.len(), 2);
    assert_eq!(discovery.outcome.instances, 400);
    assert_eq!(discovery.outcome.uncorrelated_events, 0);
}

/// Flat messages whose services name the order differently (`order_id`, `orderNumber`,
/// `ORDER_NO`), with a customer shared by several orders, amounts and a status word.
fn flat_with_naming_differences() -> (Vec<Value>, Vec<usize>) {
    let mut rng = SplitMix64::new(7);
    let (mut messages, mut cases) = (Vec::new(), Vec::new());
    for case in 0..120 {
        let order = 50_000 + case * 7;
        let customer = format!("C{}", rng.range(1, 15));
        let mut emit = |message: Value| {
            messages.push(message);
            cases.push(case);
        };
        emit(
            json!({"event": "OrderCreated", "ts": time(case * 10), "order_id": order,
            "customer_id": customer, "amount": rng.unit() * 100.0, "status": "NEW"}),
        );
        emit(
            json!({"event": "InvoiceIssued", "ts": time(case * 10 + 2), "orderNumber": order.to_string(),
            "invoiceId": format!("INV-{order}"), "customer_id": customer, "status": "OPEN"}),
        );
        if rng.chance(0.8) {
            emit(json!({"event": "InvoicePaid", "ts": time(case * 10 + 5),
                "invoiceId": format!("INV-{order}"), "amount": rng.unit() * 100.0, "status": "PAID"}));
        }
        emit(json!({"event": "OrderClosed", "ts": time(case * 10 + 9), "ORDER_NO": order}));
    }
    (messages, cases)
}

#[test]
fn fields_named_differently_that_share_values_are_one_key() {
    let (messages, cases) = flat_with_naming_differences();
    let (discovery, _) = discovered_as(&messages, &cases);
    let order = discovery
        .applied_keys()
        .find(|k| k.kind == "order")
        .unwrap();
    let pointers: Vec<&str> = order.fields.iter().map(|f| f.pointer.as_str()).collect();
    assert_eq!(pointers, ["/ORDER_NO", "/orderNumber", "/order_id"]);
    assert_eq!(discovery.envelope.activity.pointer, "/event");
    assert_eq!(discovery.envelope.time.pointer, "/ts");
    let customer = discovery
        .keys
        .iter()
        .find(|k| k.kind == "customer")
        .unwrap();
    assert!(!customer.applied(), "customers group orders: {customer:?}");
    assert!(
        customer.verdict.reason.contains("keep apart"),
        "{customer:?}"
    );
}

/// Nested payloads whose order ids sit in arrays, with stock-keeping units shared by many
/// orders inside the same arrays.
fn nested_with_ids_in_arrays() -> (Vec<Value>, Vec<usize>) {
    let mut rng = SplitMix64::new(11);
    let (mut messages, mut cases) = (Vec::new(), Vec::new());
    for case in 0..150 {
        let order = format!("ord_{:05}", 1000 + case);
        let lines: Vec<Value> = (0..rng.range(1, 4))
            .map(|_| json!({"sku": format!("SKU-{}", rng.range(1, 6)), "qty": rng.range(1, 3)}))
            .collect();
        let mut emit = |message: Value| {
            messages.push(message);
            cases.push(case);
        };
        emit(
            json!({"header": {"name": "CartCheckedOut", "occurredAt": time(case * 3)},
            "payload": {"order": {"ref": order}, "lines": lines}}),
        );
        emit(
            json!({"header": {"name": "StockReserved", "occurredAt": time(case * 3 + 1)},
            "payload": {"reservations": [{"orderRef": order, "lines": lines}]}}),
        );
        emit(
            json!({"header": {"name": "ParcelPacked", "occurredAt": time(case * 3 + 2)},
            "payload": {"orderRefs": [order], "weightKg": rng.unit() * 5.0}}),
        );
    }
    (messages, cases)
}

#[test]
fn ids_inside_arrays_are_found_and_shared_items_are_not_keys() {
    let (messages, cases) = nested_with_ids_in_arrays();
    let (discovery, _) = discovered_as(&messages, &cases);
    assert_eq!(discovery.envelope.activity.pointer, "/header/name");
    assert_eq!(discovery.envelope.time.pointer, "/header/occurredAt");
    let applied: Vec<&KeyProposal> = discovery.applied_keys().collect();
    assert_eq!(applied.len(), 1, "{applied:?}");
    let pointers: Vec<&str> = applied[0]
        .fields
        .iter()
        .map(|f| f.pointer.as_str())
        .collect();
    assert_eq!(
        pointers,
        [
            "/payload/order/ref",
            "/payload/orderRefs/*",
            "/payload/reservations/*/orderRef"
        ]
    );
    let sku = discovery.keys.iter().find(|k| k.kind == "sku").unwrap();
    assert!(!sku.applied(), "{sku:?}");
}

/// Orders shipped in parcels whose tracking events name only the parcel: the parcel id,
/// carried by a third type beside the order id, is their only link.
fn linked_through_a_secondary_id() -> (Vec<Value>, Vec<usize>) {
    let (mut messages, mut cases) = (Vec::new(), Vec::new());
    for case in 0..100 {
        let (order, parcel) = (format!("O-{case}"), format!("P{:06}", case * 31 + 5));
        let mut emit = |message: Value| {
            messages.push(message);
            cases.push(case);
        };
        emit(json!({"type": "OrderPlaced", "time": time(case), "data": {"orderId": order}}));
        emit(
            json!({"type": "ParcelCreated", "time": time(case + 1), "data": {"orderId": order, "parcelId": parcel}}),
        );
        emit(
            json!({"type": "ParcelScanned", "time": time(case + 2), "data": {"parcelId": parcel, "hub": "HUB-1"}}),
        );
        emit(
            json!({"type": "ParcelDelivered", "time": time(case + 3), "data": {"parcelId": parcel}}),
        );
    }
    (messages, cases)
}

#[test]
fn a_secondary_id_links_the_events_that_carry_only_it() {
    let (messages, cases) = linked_through_a_secondary_id();
    let (discovery, config) = discovered_as(&messages, &cases);
    let kinds: Vec<&str> = discovery.applied_keys().map(|k| k.kind.as_str()).collect();
    assert_eq!(kinds, ["parcel", "order"]);
    assert_eq!(config.instances.label_kinds, ["parcel", "order"]);
    let ends: Vec<&str> = discovery
        .end_activities
        .iter()
        .map(|e| e.activity.as_str())
        .collect();
    assert_eq!(ends, ["ParcelDelivered"]);
    let hub = discovery.keys.iter().find(|k| k.kind == "hub").unwrap();
    assert!(hub.verdict.reason.contains("one type only"), "{hub:?}");
}

#[test]
fn a_constant_tenant_id_does_not_merge_everything() {
    let (mut messages, cases) = linked_through_a_secondary_id();
    for message in &mut messages {
        message["tenantId"] = json!("tenant-0042");
    }
    let (discovery, config) = discovered(&messages);
    assert_eq!(instances(&config, &messages), truth(&cases));
    let tenant = discovery.keys.iter().find(|k| k.kind == "tenant").unwrap();
    assert!(!tenant.applied());
    assert!(
        tenant.verdict.reason.contains("100% of all events"),
        "{tenant:?}"
    );
}

#[test]
fn a_stream_without_shared_ids_reports_no_key_and_its_closest_candidates() {
    let messages: Vec<Value> = (0..200)
        .map(|i| {
            json!({"type": format!("Ping{}", i % 3), "time": time(i), "id": format!("evt-{i}"),
                "data": {"requestId": format!("req-{i}"), "host": format!("host-{}", i % 4)}})
        })
        .collect();
    let (discovery, config) = discovered(&messages);
    assert!(!discovery.found_a_key());
    assert!(config.mapping.keys.is_empty());
    assert!(discovery.summary().contains("no business key found"));
    assert_eq!(discovery.outcome.instances, 0);
    assert_eq!(discovery.outcome.uncorrelated_events, 200);
    let reasons: Vec<(&str, &str)> = discovery
        .keys
        .iter()
        .map(|k| (k.kind.as_str(), k.verdict.reason.as_str()))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|(kind, why)| *kind == "request" && why.contains("never repeat")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|(kind, _)| *kind == "host"),
        "{reasons:?}"
    );
}

#[test]
fn a_topic_with_two_processes_gives_two_key_families() {
    let (mut messages, mut cases) = linked_through_a_secondary_id();
    for ticket in 0..80 {
        let id = format!("T-{:04}", ticket);
        for (step, name) in ["TicketOpened", "TicketAssigned", "TicketResolved"]
            .iter()
            .enumerate()
        {
            messages
                .push(json!({"type": name, "time": time(ticket + step), "data": {"ticketId": id}}));
            cases.push(1000 + ticket);
        }
    }
    let (discovery, config) = discovered(&messages);
    assert_eq!(instances(&config, &messages), truth(&cases));
    let kinds: BTreeSet<&str> = discovery.applied_keys().map(|k| k.kind.as_str()).collect();
    assert_eq!(kinds, BTreeSet::from(["order", "parcel", "ticket"]));
    assert_eq!(discovery.outcome.instances, 180);
}

#[test]
fn without_an_event_type_or_a_time_discovery_says_which() {
    let no_type: Vec<Value> = (0..50).map(|i| json!({"time": time(i), "n": i})).collect();
    let err = discover(&no_type, &DiscoverOptions::default()).unwrap_err();
    assert!(err.to_string().contains("event type"), "{err}");
    let no_time: Vec<Value> = (0..50).map(|i| json!({"type": "A", "n": i})).collect();
    let err = discover(&no_time, &DiscoverOptions::default()).unwrap_err();
    assert!(err.to_string().contains("time"), "{err}");
    let err = discover(&[json!("text")], &DiscoverOptions::default()).unwrap_err();
    assert!(err.to_string().contains("no JSON object"), "{err}");
}

#[test]
fn span_attributes_sharing_values_become_otlp_key_rules() {
    use crate::store::{EmbeddedStore, StoreWrite};
    use miner::log::{BusinessKey, Event};
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), Default::default()).unwrap();
    let mut rng = SplitMix64::new(3);
    let mut spans = Vec::new();
    for order in 0..40 {
        let steps = [
            (
                "checkout",
                "order.id",
                json!({"http.request.method": "POST"}),
            ),
            (
                "charge card",
                "app.order.id",
                json!({"payment.amount": 12.5}),
            ),
            ("pick goods", "order.id", json!({})),
        ];
        for (step, (name, attribute, extra)) in steps.into_iter().enumerate() {
            let trace = rng.hex(32);
            let mut attributes = extra.as_object().unwrap().clone();
            attributes.insert(attribute.into(), json!(format!("o-{order}")));
            attributes.insert("span:kind".into(), json!("server"));
            spans.push(Event {
                id: format!("span:{trace}:{}", rng.hex(16)),
                activity: name.into(),
                timestamp: 1_767_600_000_000_000 + (order * 10 + step) as i64 * 1_000_000,
                source: "shop".into(),
                keys: vec![BusinessKey::new(crate::mapping::TRACE_KEY, &trace)],
                trace_id: Some(trace),
                span_id: Some(rng.hex(16)),
                attributes,
            });
        }
    }
    store.append(&spans).unwrap();
    let sample = stored_sample(&store, &Default::default(), 1_000).unwrap();
    assert!(sample.messages.is_empty());
    assert_eq!(sample.spans.len(), 120);
    let discovery = discover(&sample.spans, &DiscoverOptions::default()).unwrap();
    let rules = span_key_rules(&discovery);
    assert!(
        rules.contains(
            "[[otlp.keys]]\nkind = \"order\"\nattributes = [\"app.order.id\", \"order.id\"]"
        ),
        "{rules}"
    );
    let config = CollectorConfig::parse(&rules).unwrap();
    assert_eq!(config.otlp.keys[0].attributes, ["app.order.id", "order.id"]);
    assert_eq!(discovery.outcome.instances, 40);
}

#[test]
fn a_customer_on_every_event_does_not_merge_the_orders_it_groups() {
    let (mut messages, cases) = linked_through_a_secondary_id();
    let (mut only_orders, mut only_cases) = (Vec::new(), Vec::new());
    for (message, case) in messages.iter_mut().zip(&cases) {
        message["data"]["customerId"] = json!(format!("cust-{}", case % 10));
        if message["data"]["orderId"].is_string() {
            only_orders.push(message.clone());
            only_cases.push(*case);
        }
    }
    let (discovery, _) = discovered_as(&only_orders, &only_cases);
    let customer = discovery
        .keys
        .iter()
        .find(|k| k.kind == "customer")
        .unwrap();
    assert!(!customer.applied(), "{customer:?}");
}
