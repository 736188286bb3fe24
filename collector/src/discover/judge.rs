//! Which families become keys: a family is rejected when its values link events of one type
//! only, when one value joins too many events (a tenant, a constant), or when its values join
//! instances that the stronger keys keep apart (a customer joining orders).

use super::families::Families;
use super::fields::Sample;
use super::naming::name_families;
use super::proposal::{Judged, KeyField, KeyProposal};
use super::DiscoverOptions;
use hashbrown::{HashMap, HashSet};
use petgraph::unionfind::UnionFind;

/// A family's values that join instances already apart, at most, for it to be a key.
const JOINING: f64 = 0.1;

/// The instances the applied keys form over the sample's messages.
pub struct Linked {
    /// Messages joined by an applied key.
    pub instances: UnionFind<u32>,
    /// Whether each message holds an applied key.
    pub keyed: Vec<bool>,
}

/// Judges every family of `families`, strongest first, and links the sample's messages with
/// the applied ones.
pub fn judge(
    sample: &Sample,
    families: &Families,
    options: &DiscoverOptions,
) -> (Vec<KeyProposal>, Linked) {
    let total = families.type_of.iter().filter(|t| t.is_some()).count();
    let names = name_families(sample, families);
    let mut order: Vec<usize> = (0..families.groups.len()).collect();
    // The family on most events first; between equals, the finer one (more values), so that
    // a grouping on every event (a customer) does not come before the instance's own key.
    order.sort_by_cached_key(|&g| {
        let holders = &families.holders[g];
        std::cmp::Reverse((events_of(holders).len(), holders.len()))
    });
    let mut linked = Linked {
        instances: UnionFind::new(sample.messages.len()),
        keyed: vec![false; sample.messages.len()],
    };
    let mut proposals = Vec::new();
    for g in order {
        let holders = &families.holders[g];
        let verdict = verdict(families, g, total, options, &linked);
        if verdict.applied {
            link(&mut linked, holders.values());
        }
        proposals.push(proposal(
            sample,
            families,
            g,
            names[g].clone(),
            total,
            verdict,
        ));
    }
    proposals.sort_by_key(|p| !p.applied());
    (proposals, linked)
}

/// Judges the trace ids at `field` once the keys are applied: traces link instances when no
/// trace joins instances the keys keep apart.
pub fn judge_traces(
    sample: &Sample,
    field: u32,
    linked: &mut Linked,
    options: &DiscoverOptions,
) -> Judged {
    let mut holders: HashMap<u32, Vec<u32>> = HashMap::new();
    for (index, leaves) in sample.messages.iter().enumerate() {
        for leaf in leaves.iter().filter(|l| l.field == field) {
            holders.entry(leaf.value).or_default().push(index as u32);
        }
    }
    let total = sample.messages.len() - sample.not_objects;
    let verdict = match too_common(&holders, total, options) {
        Some(reason) => Judged {
            applied: false,
            reason,
        },
        None => joins_apart(&holders, linked, "trace").unwrap_or_else(|| Judged {
            applied: true,
            reason: "no trace joins two instances the keys keep apart".into(),
        }),
    };
    if verdict.applied {
        link(linked, holders.values());
    }
    verdict
}

fn verdict(
    families: &Families,
    g: usize,
    total: usize,
    options: &DiscoverOptions,
    linked: &Linked,
) -> Judged {
    let holders = &families.holders[g];
    let types: HashSet<u32> = families.groups[g]
        .iter()
        .map(|&n| families.nodes[n as usize].kind)
        .collect();
    let rejected = |reason: String| Judged {
        applied: false,
        reason,
    };
    if holders.values().all(|h| h.len() < 2) {
        return rejected("its values never repeat: each belongs to one event".into());
    }
    if types.len() < 2 {
        let only = &families.types[*types.iter().next().unwrap_or(&0) as usize];
        return rejected(format!(
            "it links events of one type only ({only}): an attribute, not a key between steps"
        ));
    }
    if let Some(reason) = too_common(holders, total, options) {
        return rejected(reason);
    }
    joins_apart(holders, linked, "value").unwrap_or_else(|| Judged {
        applied: true,
        reason: format!("links {} event types", types.len()),
    })
}

/// Why a key whose one value joins more than the allowed share of events is not one.
fn too_common(
    holders: &HashMap<u32, Vec<u32>>,
    total: usize,
    options: &DiscoverOptions,
) -> Option<String> {
    let largest = holders.values().map(Vec::len).max().unwrap_or(0);
    let share = largest as f64 / total.max(1) as f64;
    (share > options.max_key_share).then(|| {
        format!(
            "one value joins {:.0}% of all events (more than {:.0}%): a tenant, a constant or a category, not a business key",
            share * 100.0,
            options.max_key_share * 100.0
        )
    })
}

/// Why a key whose values join instances the applied keys keep apart is held back.
fn joins_apart(holders: &HashMap<u32, Vec<u32>>, linked: &Linked, what: &str) -> Option<Judged> {
    let joining = holders
        .values()
        .filter(|messages| {
            let roots: HashSet<u32> = messages
                .iter()
                .filter(|&&m| linked.keyed[m as usize])
                .map(|&m| linked.instances.find(m))
                .collect();
            roots.len() > 1
        })
        .count();
    let share = joining as f64 / holders.len().max(1) as f64;
    (joining >= 2 && share > JOINING).then(|| Judged {
        applied: false,
        reason: format!(
            "{joining} of {} {what}s ({:.0}%) join instances the stronger keys keep apart: a grouping (such as a customer) rather than the instance's key; apply it to merge them",
            holders.len(),
            share * 100.0
        ),
    })
}

fn link<'a>(linked: &mut Linked, groups: impl Iterator<Item = &'a Vec<u32>>) {
    for messages in groups {
        for &m in messages {
            linked.keyed[m as usize] = true;
            linked.instances.union(messages[0], m);
        }
    }
}

fn events_of(holders: &HashMap<u32, Vec<u32>>) -> HashSet<u32> {
    holders.values().flatten().copied().collect()
}

fn proposal(
    sample: &Sample,
    families: &Families,
    g: usize,
    kind: String,
    total: usize,
    verdict: Judged,
) -> KeyProposal {
    let nodes = &families.groups[g];
    let mut fields: Vec<KeyField> = Vec::new();
    let mut types: Vec<String> = Vec::new();
    for &n in nodes {
        let node = &families.nodes[n as usize];
        let pointer = &sample.fields[node.field as usize].pointer;
        let kind_name = families.types[node.kind as usize].clone();
        if !types.contains(&kind_name) {
            types.push(kind_name.clone());
        }
        match fields.iter_mut().find(|f| &f.pointer == pointer) {
            Some(field) => field.types.push(kind_name),
            None => fields.push(KeyField {
                pointer: pointer.clone(),
                types: vec![kind_name],
            }),
        }
    }
    for field in &mut fields {
        let everywhere = families
            .nodes
            .iter()
            .filter(|n| sample.fields[n.field as usize].pointer == field.pointer)
            .all(|n| field.types.contains(&families.types[n.kind as usize]));
        if everywhere {
            field.types.clear();
        }
        field.types.sort();
    }
    fields.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    types.sort();
    let holders = &families.holders[g];
    let mut samples: Vec<&str> = holders
        .keys()
        .map(|&v| &*sample.values[v as usize])
        .collect();
    samples.sort();
    samples.truncate(3);
    KeyProposal {
        kind,
        fields,
        event_share: events_of(holders).len() as f64 / total.max(1) as f64,
        type_share: types.len() as f64 / families.types.len().max(1) as f64,
        types,
        values: holders.len(),
        samples: samples.into_iter().map(str::to_string).collect(),
        verdict,
    }
}
