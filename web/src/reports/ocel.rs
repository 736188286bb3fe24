//! The store as an object-centric log (OCEL 2.0): business keys as objects, with the ids,
//! qualifiers and object attributes an OCEL import kept.

use super::{for_each_instance, Selection};
use crate::WebError;
use collector::mapping::TRACE_KEY;
use collector::sources::files::{OCEL_EVENT_ID, OCEL_QUALIFIERS};
use collector::store::Store;
use miner::log::{BusinessKey, Ocel, OcelEvent, OcelObject, Relation};
use miner::time::Micros;
use std::collections::{HashMap, HashSet};

/// The qualified relations of an event to its `objects` (its keys but trace ids), exported
/// under the ids `id` gives. `qualifiers` is what an OCEL import kept: every relation with its
/// qualifier, in order (an object related twice appears twice), or, from stores written
/// before, an object → qualifier map. Keys it does not name relate without a qualifier.
fn event_relations(
    objects: &[&BusinessKey],
    qualifiers: Option<&serde_json::Value>,
    id: &dyn Fn(&BusinessKey) -> String,
) -> Vec<Relation> {
    let relation = |k: &BusinessKey, qualifier: &str| Relation {
        object: id(k),
        qualifier: qualifier.to_string(),
    };
    let Some(serde_json::Value::Array(pairs)) = qualifiers else {
        return objects
            .iter()
            .map(|k| {
                let qualifier = qualifiers.and_then(|q| q.get(&k.value)?.as_str());
                relation(k, qualifier.unwrap_or_default())
            })
            .collect();
    };
    let mut named: HashSet<&str> = HashSet::new();
    let mut out: Vec<Relation> = pairs
        .iter()
        .filter_map(|pair| {
            let (object, qualifier) = (pair.get(0)?.as_str()?, pair.get(1)?.as_str()?);
            let key = objects.iter().find(|k| k.value == object)?;
            named.insert(object);
            Some(relation(key, qualifier))
        })
        .collect();
    out.extend(
        objects
            .iter()
            .filter(|k| !named.contains(k.value.as_str()))
            .map(|k| relation(k, "")),
    );
    out
}

/// The selected instances as an object-centric log: every business key but trace ids is an
/// object (kind = type), every event relates to its keys (qualifiers from an OCEL import are
/// kept), and stored key links are object-to-object relations. Unfiltered, every stored key
/// is an object; filtered, the objects the exported events relate to, and the relations
/// between them.
pub fn ocel_of_store(store: &dyn Store, selection: &Selection) -> Result<Ocel, WebError> {
    let is_object = |k: &BusinessKey| k.kind != TRACE_KEY;
    let keys: Vec<BusinessKey> = store.keys()?.into_iter().filter(is_object).collect();
    // An id must name one object: values shared by several kinds are written `kind=value`.
    let mut kinds_per_value: HashMap<&str, usize> = HashMap::new();
    for k in &keys {
        *kinds_per_value.entry(k.value.as_str()).or_default() += 1;
    }
    let id = |k: &BusinessKey| {
        if kinds_per_value.get(k.value.as_str()).copied().unwrap_or(0) > 1 {
            k.to_string()
        } else {
            k.value.clone()
        }
    };
    let mut relations: HashMap<String, Vec<Relation>> = HashMap::new();
    for link in store.links()? {
        relations.entry(id(&link.from)).or_default().push(Relation {
            object: id(&link.to),
            qualifier: link.qualifier,
        });
    }
    let mut ocel = Ocel::default();
    let mut event_ids: HashSet<String> = HashSet::new();
    let mut related: HashSet<BusinessKey> = HashSet::new();
    let filtered = *selection != Selection::default();
    for_each_instance(store, selection, |_, events| {
        for e in events {
            let mut attributes = e.attributes;
            let qualifiers = attributes.remove(OCEL_QUALIFIERS);
            // An OCEL event gets its own id back, unless another log imported the same id.
            let own_id = match attributes.remove(OCEL_EVENT_ID) {
                Some(serde_json::Value::String(own)) if !event_ids.contains(&own) => own,
                _ => e.id.clone(),
            };
            event_ids.insert(own_id.clone());
            let objects: Vec<&BusinessKey> = e.keys.iter().filter(|k| is_object(k)).collect();
            if filtered {
                related.extend(objects.iter().map(|&k| k.clone()));
            }
            ocel.events.push(OcelEvent {
                id: own_id,
                activity: e.activity.clone(),
                timestamp: e.timestamp,
                attributes,
                objects: event_relations(&objects, qualifiers.as_ref(), &id),
            });
        }
        Ok(())
    })?;
    ocel.events.sort_by_key(|e| e.timestamp);
    let mut attributes: HashMap<BusinessKey, Vec<(String, Micros, serde_json::Value)>> =
        HashMap::new();
    for a in store.object_attributes()? {
        attributes
            .entry(a.object)
            .or_default()
            .push((a.name, a.time, a.value));
    }
    let exported: Vec<&BusinessKey> = keys
        .iter()
        .filter(|k| !filtered || related.contains(*k))
        .collect();
    let ids: HashSet<String> = exported.iter().map(|k| id(k)).collect();
    ocel.objects = exported
        .into_iter()
        .map(|k| OcelObject {
            id: id(k),
            kind: k.kind.clone(),
            attributes: attributes.remove(k).unwrap_or_default(),
            objects: relations
                .remove(&id(k))
                .unwrap_or_default()
                .into_iter()
                .filter(|r| ids.contains(&r.object))
                .collect(),
        })
        .collect();
    Ok(ocel)
}
