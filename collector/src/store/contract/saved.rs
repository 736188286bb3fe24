//! Contract checks of what a store keeps besides events: the rules it is written with, the
//! reference model uploaded for tracking, and the attribute values of objects.

use super::{config, Factory};
use crate::store::ObjectAttribute;
use miner::log::BusinessKey;

/// The configuration saved last is the one kept.
pub(crate) fn keeps_the_rules_it_is_written_with(factory: Factory<'_>) {
    let store = factory(&config());
    assert_eq!(store.saved_rules().unwrap(), None);
    store
        .save_rules("[instances]\nstuck_after = \"1h\"\n")
        .unwrap();
    store.save_rules(fixtures::ORDER_FLOW_CONFIG).unwrap();
    assert_eq!(
        store.saved_rules().unwrap().as_deref(),
        Some(fixtures::ORDER_FLOW_CONFIG)
    );
}

/// The reference model uploaded last is the one kept, apart from the rules.
pub(crate) fn keeps_the_model_uploaded_last(factory: Factory<'_>) {
    let store = factory(&config());
    assert_eq!(store.saved_model().unwrap(), None);
    store.save_model("<definitions id=\"first\"/>").unwrap();
    let second = "<definitions id=\"second\">\n  <process id=\"p\"/>\n</definitions>";
    store.save_model(second).unwrap();
    assert_eq!(store.saved_model().unwrap().as_deref(), Some(second));
    assert_eq!(store.saved_rules().unwrap(), None, "a model is not rules");
}

/// Object attribute values are kept with their times, in order; setting one again for the
/// same object, name and time replaces it.
pub(crate) fn keeps_object_attributes_over_time(factory: Factory<'_>) {
    let store = factory(&config());
    let value =
        |kind: &str, id: &str, name: &str, time: i64, v: serde_json::Value| ObjectAttribute {
            object: BusinessKey::new(kind, id),
            name: name.into(),
            time,
            value: v,
        };
    let first = [
        value("order", "o1", "status", 20, "paid".into()),
        value("order", "o1", "status", 10, "open".into()),
        value("order", "o1", "amount", 10, 12.5.into()),
        value("item", "i1", "tags", 5, serde_json::json!(["a", "b"])),
    ];
    store.set_object_attributes(&first).unwrap();
    store
        .set_object_attributes(&[value("order", "o1", "amount", 10, 12.5.into())])
        .unwrap();
    assert_eq!(
        store.object_attributes().unwrap(),
        [
            first[3].clone(),
            first[2].clone(),
            first[1].clone(),
            first[0].clone()
        ],
        "by object, then time, then name; a value set again is kept once"
    );
}
