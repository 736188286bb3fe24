//! Contract check of merges: instances linked late become one, and an absorbed id leads to the
//! instance it became, through every later merge.

use super::{config, event, Factory};
use crate::store::InstanceQuery;

pub(crate) fn merges_instances_on_a_late_link(factory: Factory<'_>) {
    let store = factory(&config());
    store
        .append(&[event("p", "OrderPlaced", 10, &[("order", "7")])])
        .unwrap();
    store
        .append(&[event("g", "GoodsFetched", 30, &[("pick", "x")])])
        .unwrap();
    assert_eq!(store.overview().unwrap().instances, 2);
    let report = store
        .append(&[event(
            "f",
            "FetchGoods",
            20,
            &[("order", "7"), ("pick", "x")],
        )])
        .unwrap();
    assert_eq!(report.merges, 1);
    let overview = store.overview().unwrap();
    assert_eq!((overview.instances, overview.merges), (1, 1));
    let page = store
        .instances(&InstanceQuery {
            search: Some("x".into()),
            ..Default::default()
        })
        .unwrap();
    let detail = store.instance(page.instances[0].id).unwrap().unwrap();
    assert_eq!(detail.summary.label, "order=7");
    let names: Vec<&str> = detail.events.iter().map(|e| e.activity.as_str()).collect();
    assert_eq!(names, ["OrderPlaced", "FetchGoods", "GoodsFetched"]);
    assert_eq!(detail.merges.len(), 1);
    assert_eq!(detail.merges[0].absorbed_label, "pick=x");
    assert_eq!(detail.merges[0].by_event, "f");
    assert_eq!(detail.keys.len(), 2);
    assert_eq!(
        (detail.summary.first_event, detail.summary.last_event),
        (10, 30)
    );
    let absorbed = detail.merges[0].absorbed;
    let found = store
        .events_of(&[detail.summary.id, absorbed, 9_999])
        .unwrap();
    assert_eq!(
        found.keys().copied().collect::<Vec<_>>(),
        [detail.summary.id],
        "only live instances have events"
    );
    assert_eq!(found[&detail.summary.id], detail.events);
    assert!(store.instance(absorbed).unwrap().is_none());
    let survivor = detail.summary.id;
    assert_eq!(store.merged_into(absorbed).unwrap(), Some(survivor));
    assert_eq!(store.merged_into(survivor).unwrap(), None);
    assert_eq!(store.merged_into(9_999).unwrap(), None);

    // A second merge: whichever instance survives it, both absorbed ids lead to it.
    store
        .append(&[event("s", "Shipped", 40, &[("shipment", "s")])])
        .unwrap();
    store
        .append(&[event(
            "l",
            "Labelled",
            35,
            &[("shipment", "s"), ("pick", "x")],
        )])
        .unwrap();
    let live = store
        .instances(&InstanceQuery {
            search: Some("s".into()),
            ..Default::default()
        })
        .unwrap()
        .instances[0]
        .id;
    let merges = store.instance(live).unwrap().unwrap().merges;
    assert_eq!(merges.len(), 2, "{merges:?}");
    for absorbed in [absorbed, survivor]
        .into_iter()
        .chain(merges.iter().map(|m| m.absorbed))
        .filter(|id| *id != live)
    {
        assert_eq!(
            store.merged_into(absorbed).unwrap(),
            Some(live),
            "{absorbed}"
        );
    }
}
