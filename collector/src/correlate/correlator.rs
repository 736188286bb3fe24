//! The key graph as a union of components, each component an instance.

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use miner::log::BusinessKey;
use std::collections::HashMap;
use std::hash::BuildHasher;

/// Identifies a process instance; assigned in creation order, so smaller means older.
pub type InstanceId = i64;

/// Where a key sits in the correlator's arena; it never moves.
type KeyIndex = u32;

/// Two instances that became one: `absorbed` now belongs to `survivor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    /// The instance that remains (the older one).
    pub survivor: InstanceId,
    /// The instance that ceased to exist.
    pub absorbed: InstanceId,
}

/// Where an event's keys put it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    /// Its instance; `None` when it carries no key.
    pub instance: Option<InstanceId>,
    /// Whether that instance was created by this event.
    pub created: bool,
    /// Keys seen for the first time (now belonging to `instance`).
    pub new_keys: Vec<BusinessKey>,
    /// Instances merged into `instance` by this event.
    pub merges: Vec<Merge>,
}

/// Connected components over business keys: the live part of the key graph, in memory.
///
/// Each key is held once, in an arena, and found through a hash table of arena positions; an
/// instance lists its keys' positions. Merging relabels the smaller component's keys (union by
/// size), so lookups are one hash probe and a merge costs the size of the smaller side, with
/// no key copied or hashed again. An instance can leave memory ([`Correlator::evict`]) and
/// come back from the store ([`Correlator::revive`]); the slots of its keys are reused.
#[derive(Debug, Default, Clone)]
pub struct Correlator {
    keys: Vec<BusinessKey>,
    /// Arena slots freed by evictions, reused before the arena grows.
    free: Vec<KeyIndex>,
    /// The instance of each key in `keys`, by position.
    owner: Vec<InstanceId>,
    index: HashTable<KeyIndex>,
    hasher: RandomState,
    members: HashMap<InstanceId, Vec<KeyIndex>, RandomState>,
    next_id: InstanceId,
}

impl Correlator {
    /// An empty key graph whose first instance will get id 1.
    pub fn new() -> Self {
        Self {
            next_id: 1,
            ..Self::default()
        }
    }

    /// Rebuilds the graph from stored `(key, instance)` pairs.
    pub fn from_links(links: impl IntoIterator<Item = (BusinessKey, InstanceId)>) -> Self {
        let mut c = Self::new();
        for (key, instance) in links {
            c.next_id = c.next_id.max(instance + 1);
            let hash = c.hasher.hash_one(&key);
            if c.find(hash, &key).is_none() {
                c.members.entry(instance).or_default();
                c.add_key(hash, key, instance);
            }
        }
        c
    }

    /// Brings a stored instance back into memory with its `keys`, none of which is held now
    /// (an instance evicted earlier, whose key reappeared). Keys held already are skipped.
    pub fn revive(&mut self, instance: InstanceId, keys: impl IntoIterator<Item = BusinessKey>) {
        self.next_id = self.next_id.max(instance + 1);
        self.members.entry(instance).or_default();
        for key in keys {
            let hash = self.hasher.hash_one(&key);
            if self.find(hash, &key).is_none() {
                self.add_key(hash, key, instance);
            }
        }
    }

    /// Drops an instance and its keys from memory (it stays in the store). Returns whether it
    /// was held.
    pub fn evict(&mut self, instance: InstanceId) -> bool {
        let Some(slots) = self.members.remove(&instance) else {
            return false;
        };
        for at in slots {
            let key = std::mem::replace(&mut self.keys[at as usize], BusinessKey::new("", ""));
            let hash = self.hasher.hash_one(&key);
            if let Ok(entry) = self.index.find_entry(hash, |&other| other == at) {
                entry.remove();
            }
            self.free.push(at);
        }
        true
    }

    /// Whether `instance` is held in memory.
    pub fn holds(&self, instance: InstanceId) -> bool {
        self.members.contains_key(&instance)
    }

    /// Number of keys held in memory.
    pub fn key_count(&self) -> usize {
        self.keys.len() - self.free.len()
    }

    /// Every instance held in memory.
    pub fn instances(&self) -> impl Iterator<Item = InstanceId> + '_ {
        self.members.keys().copied()
    }

    /// Ensures ids handed out later are above `id` (instances may exist without keys stored yet).
    pub fn reserve_through(&mut self, id: InstanceId) {
        self.next_id = self.next_id.max(id + 1);
    }

    /// The instance a key belongs to.
    pub fn instance_of(&self, key: &BusinessKey) -> Option<InstanceId> {
        let at = self.find(self.hasher.hash_one(key), key)?;
        Some(self.owner[at as usize])
    }

    /// The keys of an instance, in the order they joined it (a merge appends the smaller side).
    pub fn keys_of(&self, instance: InstanceId) -> impl Iterator<Item = &BusinessKey> {
        self.members
            .get(&instance)
            .into_iter()
            .flatten()
            .map(|&at| &self.keys[at as usize])
    }

    /// Number of instances.
    pub fn instance_count(&self) -> usize {
        self.members.len()
    }

    /// Places an event carrying `keys`, linking and merging as needed.
    pub fn assign(&mut self, keys: &[BusinessKey]) -> Assignment {
        if keys.is_empty() {
            return Assignment::default();
        }
        let hashes: Vec<u64> = keys.iter().map(|k| self.hasher.hash_one(k)).collect();
        let mut existing: Vec<InstanceId> = keys
            .iter()
            .zip(&hashes)
            .filter_map(|(key, &hash)| self.find(hash, key))
            .map(|at| self.owner[at as usize])
            .collect();
        existing.sort_unstable();
        existing.dedup();

        let (instance, created) = match existing.first() {
            Some(&oldest) => (oldest, false),
            None => {
                let id = self.next_id;
                self.next_id += 1;
                self.members.insert(id, Vec::new());
                (id, true)
            }
        };
        let mut merges = Vec::new();
        for &absorbed in existing.iter().skip(1) {
            self.absorb(instance, absorbed);
            merges.push(Merge {
                survivor: instance,
                absorbed,
            });
        }
        let mut new_keys = Vec::new();
        for (key, &hash) in keys.iter().zip(&hashes) {
            // Looked up again: a key repeated within `keys` is new only the first time.
            if self.find(hash, key).is_none() {
                self.add_key(hash, key.clone(), instance);
                new_keys.push(key.clone());
            }
        }
        Assignment {
            instance: Some(instance),
            created,
            new_keys,
            merges,
        }
    }

    fn find(&self, hash: u64, key: &BusinessKey) -> Option<KeyIndex> {
        self.index
            .find(hash, |&at| self.keys[at as usize] == *key)
            .copied()
    }

    /// Adds a key not held yet to `instance`, which exists.
    fn add_key(&mut self, hash: u64, key: BusinessKey, instance: InstanceId) {
        let at = match self.free.pop() {
            Some(at) => {
                self.keys[at as usize] = key;
                self.owner[at as usize] = instance;
                at
            }
            None => {
                let at = KeyIndex::try_from(self.keys.len()).expect("fewer than 2^32 keys");
                self.keys.push(key);
                self.owner.push(instance);
                at
            }
        };
        let Self {
            keys,
            index,
            hasher,
            ..
        } = self;
        index.insert_unique(hash, at, |&other| hasher.hash_one(&keys[other as usize]));
        self.members
            .get_mut(&instance)
            .expect("instance exists")
            .push(at);
    }

    fn absorb(&mut self, survivor: InstanceId, absorbed: InstanceId) {
        let mut moved = self.members.remove(&absorbed).unwrap_or_default();
        for &at in &moved {
            self.owner[at as usize] = survivor;
        }
        let target = self.members.get_mut(&survivor).expect("survivor exists");
        if target.len() < moved.len() {
            std::mem::swap(target, &mut moved);
        }
        target.extend(moved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> BusinessKey {
        let (kind, value) = s.split_once('=').unwrap();
        BusinessKey::new(kind, value)
    }

    #[test]
    fn events_sharing_a_key_share_an_instance() {
        let mut c = Correlator::new();
        let a = c.assign(&[k("order=1")]);
        assert!(a.created);
        let b = c.assign(&[k("order=1")]);
        assert_eq!(b.instance, a.instance);
        assert!(!b.created && b.new_keys.is_empty());
        let other = c.assign(&[k("order=2")]);
        assert_ne!(other.instance, a.instance);
    }

    #[test]
    fn an_event_with_two_keys_links_them() {
        let mut c = Correlator::new();
        let order = c.assign(&[k("order=1")]).instance;
        let link = c.assign(&[k("order=1"), k("payment=p")]);
        assert_eq!(link.instance, order);
        assert_eq!(link.new_keys, [k("payment=p")]);
        assert_eq!(c.assign(&[k("payment=p")]).instance, order);
    }

    #[test]
    fn a_late_link_merges_instances_into_the_older_one() {
        let mut c = Correlator::new();
        let order = c.assign(&[k("order=1")]).instance.unwrap();
        let pick = c.assign(&[k("pick=x")]).instance.unwrap();
        let ship = c.assign(&[k("ship=s")]).instance.unwrap();
        assert_eq!(c.instance_count(), 3);
        let link = c.assign(&[k("pick=x"), k("order=1"), k("ship=s")]);
        assert_eq!(link.instance, Some(order));
        assert_eq!(
            link.merges,
            [
                Merge {
                    survivor: order,
                    absorbed: pick
                },
                Merge {
                    survivor: order,
                    absorbed: ship
                }
            ]
        );
        assert_eq!(c.instance_count(), 1);
        assert_eq!(c.instance_of(&k("ship=s")), Some(order));
        assert_eq!(c.keys_of(order).count(), 3);
    }

    #[test]
    fn no_keys_means_uncorrelated() {
        let mut c = Correlator::new();
        assert_eq!(c.assign(&[]), Assignment::default());
        assert_eq!(c.instance_count(), 0);
    }

    #[test]
    fn an_evicted_instance_leaves_memory_and_comes_back_whole() {
        let mut c = Correlator::new();
        let order = c.assign(&[k("order=1"), k("payment=p")]).instance.unwrap();
        let other = c.assign(&[k("order=2")]).instance.unwrap();
        assert!(c.evict(order));
        assert!(!c.evict(order), "evicted once");
        assert_eq!(c.instance_of(&k("payment=p")), None);
        assert_eq!((c.key_count(), c.instance_count()), (1, 1));
        // New keys reuse the freed slots; ids keep rising.
        let fresh = c.assign(&[k("order=3")]).instance.unwrap();
        assert!(fresh > other);
        assert_eq!(c.keys.len(), 3, "a freed slot was reused");
        c.revive(order, [k("order=1"), k("payment=p")]);
        assert!(c.holds(order));
        assert_eq!(c.instance_of(&k("payment=p")), Some(order));
        let merged = c.assign(&[k("order=3"), k("payment=p")]);
        assert_eq!(merged.instance, Some(order));
        assert_eq!(c.keys_of(order).count(), 3);
        assert_eq!(c.instance_of(&k("order=2")), Some(other));
    }

    #[test]
    fn rebuilds_from_stored_links() {
        let mut c =
            Correlator::from_links([(k("order=1"), 4), (k("payment=p"), 4), (k("order=2"), 7)]);
        assert_eq!(c.instance_of(&k("payment=p")), Some(4));
        let fresh = c.assign(&[k("order=3")]);
        assert_eq!(fresh.instance, Some(8));
        let merged = c.assign(&[k("order=2"), k("payment=p")]);
        assert_eq!(
            merged.merges,
            [Merge {
                survivor: 4,
                absorbed: 7
            }]
        );
    }
}
