//! Ordering groups under Lambda's ParallelizationFactor: which of a shard's N concurrent batches a
//! partition key belongs to. AWS does not document the assignment (aws-facts §3.2, NOT FOUND), so
//! shardlint uses a named model, chosen in config; the distribution, the simulator and the
//! recommender all ask this module: [`Router`] takes a record's key to its shard
//! ([`keyspace::place`](crate::keyspace::place)) and ordering group in one step.

use std::collections::HashMap;

use crate::keyspace::{ShardMap, hash_key, place};

/// How keys are assigned to the concurrent batches of one shard.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupModel {
    /// `first-seen-round-robin` (default): the k-th distinct key to arrive on a shard goes to group
    /// k mod N. It reproduces the only published observation (seed 1: keys 1..5 sent in order with
    /// factor 3 formed {1,4}, {2,5}, {3}).
    #[default]
    FirstSeenRoundRobin,
    /// `hash-mod`: group = MD5(key) mod N, independent of arrival order. An alternative for
    /// users who measured otherwise; it does not reproduce seed 1.
    HashMod,
}

impl GroupModel {
    pub fn name(self) -> &'static str {
        match self {
            GroupModel::FirstSeenRoundRobin => "first-seen-round-robin",
            GroupModel::HashMod => "hash-mod",
        }
    }
    pub fn parse(s: &str) -> Option<GroupModel> {
        match s {
            "first-seen-round-robin" | "round-robin" => Some(GroupModel::FirstSeenRoundRobin),
            "hash-mod" | "hash" => Some(GroupModel::HashMod),
            _ => None,
        }
    }
}

/// Assigns keys of one shard to groups, remembering earlier assignments (per-key order is kept
/// only because a key never changes group).
#[derive(Clone, Debug)]
pub struct GroupAssigner {
    model: GroupModel,
    factor: u32,
    seen: HashMap<String, u32>,
}

impl GroupAssigner {
    pub fn new(model: GroupModel, factor: u32) -> Self {
        GroupAssigner {
            model,
            factor: factor.clamp(1, 10),
            seen: HashMap::new(),
        }
    }
    pub fn factor(&self) -> u32 {
        self.factor
    }
    /// The group (0-based) of `key`, assigning it on first sight.
    pub fn group_of(&mut self, key: &str) -> u32 {
        if let Some(&g) = self.seen.get(key) {
            return g;
        }
        let g = match self.model {
            GroupModel::FirstSeenRoundRobin => first_seen_group(self.seen.len(), self.factor),
            GroupModel::HashMod => hash_group(key, self.factor),
        };
        self.seen.insert(key.to_string(), g);
        g
    }
}

/// The group of the shard's `rank`-th distinct key (0-based, in arrival order) under
/// `first-seen-round-robin`: for callers that know ranks without replaying arrivals (the
/// distribution counts keys, then ranks them by first record).
pub fn first_seen_group(rank: usize, factor: u32) -> u32 {
    (rank % factor.max(1) as usize) as u32
}

/// Where one record goes: its shard and its ordering group there.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Index into the map's open shards.
    pub shard: usize,
    /// 0-based group within the shard.
    pub group: u32,
}

/// Key → shard → ordering group, for records in arrival order: the one routing of the
/// distribution, the simulator and the recommender.
#[derive(Clone, Debug)]
pub struct Router<'m> {
    map: &'m ShardMap,
    assigners: Vec<GroupAssigner>,
}

impl<'m> Router<'m> {
    pub fn new(map: &'m ShardMap, model: GroupModel, factor: u32) -> Self {
        Router {
            map,
            assigners: (0..map.len())
                .map(|_| GroupAssigner::new(model, factor))
                .collect(),
        }
    }
    /// Routes the next record with `key` (and `explicit` hash key, if its producer set one).
    pub fn route(&mut self, key: &str, explicit: Option<u128>) -> Route {
        let shard = place(self.map, key, explicit);
        let group = self.assigners[shard].group_of(key);
        Route { shard, group }
    }
}

/// The `hash-mod` group of a key.
pub fn hash_group(key: &str, factor: u32) -> u32 {
    (hash_key(key) % factor.max(1) as u128) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_one_groups() {
        let mut a = GroupAssigner::new(GroupModel::FirstSeenRoundRobin, 3);
        let groups: Vec<u32> = ["1", "2", "3", "4", "5", "1", "4"]
            .iter()
            .map(|k| a.group_of(k))
            .collect();
        assert_eq!(groups, vec![0, 1, 2, 0, 1, 0, 0]);
    }

    #[test]
    fn router_places_by_explicit_hash_key_then_groups() {
        let map = ShardMap::even(2);
        let mut r = Router::new(&map, GroupModel::FirstSeenRoundRobin, 2);
        let md5 = crate::keyspace::place(&map, "k", None);
        assert_eq!(
            r.route("k", None),
            Route {
                shard: md5,
                group: 0
            }
        );
        assert_eq!(r.route("k", Some(0)).shard, 0);
        assert_eq!(r.route("k", Some(u128::MAX)).shard, 1);
        assert_eq!(
            r.route("j", Some(u128::MAX)).group,
            1 - r.route("k", Some(u128::MAX)).group
        );
    }

    #[test]
    fn hash_mod_is_stable() {
        let mut a = GroupAssigner::new(GroupModel::HashMod, 3);
        let g = a.group_of("device-1");
        assert_eq!(g, hash_group("device-1", 3));
        assert_eq!(a.group_of("device-1"), g);
    }
}
