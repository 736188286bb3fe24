//! Families of identifier fields that share values: `/data/orderId` on some event types and
//! `/data/refId` on others hold the same order numbers, so they are one key kind.
//!
//! A field is judged per event type (the same pointer may mean an order on one type and a
//! payment on another), and two such fields join a family when at least half of the values
//! of the smaller one appear in the other.

use super::envelope::Envelope;
use super::fields::Sample;
use super::shape::{is_identifier_name, Shape};
use hashbrown::{HashMap, HashSet};

/// An identifier field on one event type.
#[derive(Debug)]
pub struct Node {
    /// Index into [`Sample::fields`].
    pub field: u32,
    /// The event type (an index into [`Families::types`]).
    pub kind: u32,
    /// Its distinct values.
    pub values: HashSet<u32>,
}

/// The identifier fields of a sample, grouped into families.
#[derive(Debug, Default)]
pub struct Families {
    /// The event types, by index.
    pub types: Vec<String>,
    /// Each message's event type, if it has one.
    pub type_of: Vec<Option<u32>>,
    /// Every identifier field per event type.
    pub nodes: Vec<Node>,
    /// Families of nodes; each is a list of indexes into `nodes`.
    pub groups: Vec<Vec<u32>>,
    /// Nodes whose values are other events' ids: causation links, never keys.
    pub causation: Vec<u32>,
    /// For each family, its values and the messages holding each.
    pub holders: Vec<HashMap<u32, Vec<u32>>>,
}

/// Two fields join when the values they share are at least this share of the smaller one's.
const SHARED: f64 = 0.5;
/// A field is an identifier field when at least this share of its values look like ids.
const ID_LIKE: f64 = 0.9;

/// Finds the identifier fields of `sample` beside its `envelope` and groups them.
pub fn families_of(sample: &Sample, envelope: &Envelope) -> Families {
    let envelope_pointers = envelope.pointers();
    let candidate: Vec<bool> = sample
        .fields
        .iter()
        .map(|f| {
            let numeric = if is_identifier_name(&f.name) {
                f.share(Shape::Integer)
            } else {
                0.0
            };
            let id_like = f.share(Shape::Identifier)
                + f.share(Shape::TraceId)
                + f.share(Shape::SpanId)
                + numeric;
            id_like >= ID_LIKE && !envelope_pointers.contains(&f.pointer.as_str())
        })
        .collect();
    let mut families = Families::default();
    let activity = sample.field(&envelope.activity.pointer);
    let mut type_ids: HashMap<u32, u32> = HashMap::new();
    let mut node_ids: HashMap<(u32, u32), u32> = HashMap::new();
    for (index, leaves) in sample.messages.iter().enumerate() {
        let kind = activity.and_then(|a| sample.value_in(index, a)).map(|v| {
            *type_ids.entry(v).or_insert_with(|| {
                families.types.push(sample.values[v as usize].to_string());
                families.types.len() as u32 - 1
            })
        });
        families.type_of.push(kind);
        let Some(kind) = kind else { continue };
        for leaf in leaves.iter().filter(|l| candidate[l.field as usize]) {
            let node = *node_ids.entry((kind, leaf.field)).or_insert_with(|| {
                families.nodes.push(Node {
                    field: leaf.field,
                    kind,
                    values: HashSet::new(),
                });
                families.nodes.len() as u32 - 1
            });
            families.nodes[node as usize].values.insert(leaf.value);
        }
    }
    families.causation = causation_nodes(sample, envelope, &families.nodes);
    families.groups = group(&families.nodes, &families.causation);
    families.holders = holders(sample, &families, &node_ids);
    families
}

/// Nodes most of whose values are the ids of events (a `correlationid` naming the command a
/// reply answers): they link pairs of events, and would make every event id a key.
fn causation_nodes(sample: &Sample, envelope: &Envelope, nodes: &[Node]) -> Vec<u32> {
    let Some(id_field) = envelope
        .id
        .as_ref()
        .and_then(|id| sample.field(&id.pointer))
    else {
        return Vec::new();
    };
    let event_ids = &sample.fields[id_field as usize].distinct;
    (0..nodes.len() as u32)
        .filter(|&n| {
            let values = &nodes[n as usize].values;
            let ids = values.iter().filter(|v| event_ids.contains(*v)).count();
            ids as f64 >= SHARED * values.len() as f64
        })
        .collect()
}

/// Connected components of the nodes that share values.
fn group(nodes: &[Node], excluded: &[u32]) -> Vec<Vec<u32>> {
    let mut holders: HashMap<u32, Vec<u32>> = HashMap::new();
    for (n, node) in nodes.iter().enumerate() {
        if excluded.contains(&(n as u32)) {
            continue;
        }
        for &value in &node.values {
            holders.entry(value).or_default().push(n as u32);
        }
    }
    let mut shared: HashMap<(u32, u32), u32> = HashMap::new();
    for list in holders.values().filter(|l| l.len() > 1) {
        for (i, &a) in list.iter().enumerate() {
            for &b in &list[i + 1..] {
                *shared.entry((a.min(b), a.max(b))).or_default() += 1;
            }
        }
    }
    let mut links = petgraph::unionfind::UnionFind::<u32>::new(nodes.len());
    for ((a, b), count) in shared {
        let smaller = nodes[a as usize]
            .values
            .len()
            .min(nodes[b as usize].values.len());
        if f64::from(count) >= SHARED * smaller as f64 {
            links.union(a, b);
        }
    }
    let mut groups: HashMap<u32, Vec<u32>> = HashMap::new();
    for n in 0..nodes.len() as u32 {
        if !excluded.contains(&n) {
            groups.entry(links.find(n)).or_default().push(n);
        }
    }
    let mut groups: Vec<Vec<u32>> = groups.into_values().collect();
    groups.sort();
    groups
}

/// For each family, which messages hold each of its values.
fn holders(
    sample: &Sample,
    families: &Families,
    node_ids: &HashMap<(u32, u32), u32>,
) -> Vec<HashMap<u32, Vec<u32>>> {
    let mut family_of: HashMap<u32, usize> = HashMap::new();
    for (g, nodes) in families.groups.iter().enumerate() {
        family_of.extend(nodes.iter().map(|&n| (n, g)));
    }
    let mut holders: Vec<HashMap<u32, Vec<u32>>> = vec![HashMap::new(); families.groups.len()];
    for (index, leaves) in sample.messages.iter().enumerate() {
        let Some(kind) = families.type_of[index] else {
            continue;
        };
        for leaf in leaves {
            let family = node_ids
                .get(&(kind, leaf.field))
                .and_then(|node| family_of.get(node));
            if let Some(&family) = family {
                let list = holders[family].entry(leaf.value).or_default();
                if list.last() != Some(&(index as u32)) {
                    list.push(index as u32);
                }
            }
        }
    }
    holders
}
