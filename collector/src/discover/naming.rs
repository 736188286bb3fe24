//! Names for key kinds: the business noun most of a family's fields are named after
//! (`orderId` and `order_no` name `order`), else the prefix its values share (`pay-1221`
//! names `pay`), else `key1`, `key2`…

use super::families::Families;
use super::fields::Sample;
use super::shape::kind_from_name;
use hashbrown::HashMap;

/// A distinct name for each family of `families`, in order.
pub fn name_families(sample: &Sample, families: &Families) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    for (g, nodes) in families.groups.iter().enumerate() {
        let mut votes: HashMap<String, usize> = HashMap::new();
        for &n in nodes {
            let node = &families.nodes[n as usize];
            if let Some(noun) = kind_from_name(&sample.fields[node.field as usize].name) {
                *votes.entry(noun).or_default() += node.values.len();
            }
        }
        let voted = votes
            .into_iter()
            .max_by(|(a, x), (b, y)| x.cmp(y).then_with(|| b.cmp(a)))
            .map(|(noun, _)| noun);
        let name = voted
            .or_else(|| shared_prefix(sample, families, g))
            .unwrap_or_else(|| format!("key{}", g + 1));
        let mut unique = name.clone();
        let mut n = 2;
        while taken.contains(&unique) || unique == crate::mapping::TRACE_KEY {
            unique = format!("{name}{n}");
            n += 1;
        }
        taken.push(unique);
    }
    taken
}

/// The letters most values of family `g` start with before a `-`, `_` or `:`, when at least
/// four in five share them.
fn shared_prefix(sample: &Sample, families: &Families, g: usize) -> Option<String> {
    let mut prefixes: HashMap<&str, usize> = HashMap::new();
    let values = &families.holders[g];
    for &v in values.keys() {
        let text = &*sample.values[v as usize];
        if let Some((prefix, _)) = text.split_once(['-', '_', ':']) {
            if !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_alphabetic()) {
                *prefixes.entry(prefix).or_default() += 1;
            }
        }
    }
    let (prefix, count) = prefixes.into_iter().max_by_key(|(_, c)| *c)?;
    (count * 5 >= values.len() * 4).then(|| prefix.to_ascii_lowercase())
}
