//! Ordering groups under Lambda's ParallelizationFactor: which of a shard's N concurrent batches a
//! partition key belongs to. AWS documents only that records with the same partition key stay in
//! order (Lambda developer guide, "Configuring ParallelizationFactor"); the assignment itself is
//! not documented (aws-facts §3.2). So shardlint has three named models, one chosen in config (the
//! default reproduces seed 1), and findings say when the others disagree. The distribution, the
//! simulator, the recommender and the rules all ask this module: [`Router`] takes a record's key to
//! its shard ([`keyspace::place`](crate::keyspace::place)) and ordering group in one step.

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
    /// `java-hash-mod`: group = `Math.floorMod(key.hashCode(), N)` with Java's
    /// `String.hashCode()` (Σ s[i]·31^(n-1-i) over UTF-16 code units, wrapping `int`): a plain
    /// JVM implementation would do this. It also reproduces seed 1 ("1".."5" hash to 49..53), so
    /// seed 1 cannot tell it from round robin.
    JavaHashMod,
}

impl GroupModel {
    /// Every model, the default first.
    pub const ALL: [GroupModel; 3] = [
        GroupModel::FirstSeenRoundRobin,
        GroupModel::HashMod,
        GroupModel::JavaHashMod,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GroupModel::FirstSeenRoundRobin => "first-seen-round-robin",
            GroupModel::HashMod => "hash-mod",
            GroupModel::JavaHashMod => "java-hash-mod",
        }
    }
    pub fn parse(s: &str) -> Option<GroupModel> {
        match s {
            "first-seen-round-robin" | "round-robin" => Some(GroupModel::FirstSeenRoundRobin),
            "hash-mod" | "hash" | "md5-mod" => Some(GroupModel::HashMod),
            "java-hash-mod" | "java-hashcode-mod" => Some(GroupModel::JavaHashMod),
            _ => None,
        }
    }
    /// For usage errors: the accepted names.
    pub const NAMES: &'static str = "`first-seen-round-robin`, `hash-mod` or `java-hash-mod`";

    /// The group of a key that depends only on the key (`None` for arrival-order models).
    pub fn key_group(self, key: &str, factor: u32) -> Option<u32> {
        match self {
            GroupModel::FirstSeenRoundRobin => None,
            GroupModel::HashMod => Some(hash_group(key, factor)),
            GroupModel::JavaHashMod => Some(java_hash_group(key, factor)),
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
        let g = self
            .model
            .key_group(key, self.factor)
            .unwrap_or_else(|| first_seen_group(self.seen.len(), self.factor));
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

/// Java's `String.hashCode()`: Σ s[i]·31^(n-1-i) over UTF-16 code units, wrapping at 32 bits.
pub fn java_hash_code(key: &str) -> i32 {
    key.encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)))
}

/// The `java-hash-mod` group of a key: `Math.floorMod(key.hashCode(), factor)`.
pub fn java_hash_group(key: &str, factor: u32) -> u32 {
    i64::from(java_hash_code(key)).rem_euclid(i64::from(factor.max(1))) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_code_matches_the_jdk() {
        // `s.hashCode()` and `Math.floorMod(s.hashCode(), 3)` printed by OpenJDK 17.
        for (key, code, group) in [
            ("", 0, 0),
            ("1", 49, 1),
            ("hello", 99_162_322, 1),
            ("TEST-100001", 2_109_321_275, 2),
            ("🚗", 1_773_050, 2), // two UTF-16 code units
            ("vehicle-ß-車", 210_265_915, 1),
            ("polygenelubricants", i32::MIN, 1), // negative: floorMod, not %
        ] {
            assert_eq!(java_hash_code(key), code, "{key}");
            assert_eq!(java_hash_group(key, 3), group, "{key}");
        }
        // Wrapping: a long key overflows `int` as Java does.
        assert!(java_hash_code(&"z".repeat(40)) != 0);
    }

    #[test]
    fn seed_one_cannot_tell_round_robin_from_java_hash_code() {
        for m in [GroupModel::FirstSeenRoundRobin, GroupModel::JavaHashMod] {
            let mut a = GroupAssigner::new(m, 3);
            let g: Vec<u32> = ["1", "2", "3", "4", "5"]
                .iter()
                .map(|k| a.group_of(k))
                .collect();
            assert_eq!(g[0], g[3], "{m:?}");
            assert_eq!(g[1], g[4], "{m:?}");
            assert!(g[2] != g[0] && g[2] != g[1] && g[0] != g[1], "{m:?}");
        }
        // MD5 mod 3 does not form {1,4}, {2,5}, {3}.
        let g: Vec<u32> = ["1", "2", "3", "4", "5"]
            .iter()
            .map(|k| hash_group(k, 3))
            .collect();
        assert!(
            !(g[0] == g[3] && g[1] == g[4] && g[2] != g[0] && g[2] != g[1]),
            "{g:?}"
        );
    }

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
