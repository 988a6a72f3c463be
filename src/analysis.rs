//! Static analyses shared by rules: each Kinesis action's key template (parsed and classified
//! against its rule's `FROM` topic filter) and each stream's shard map (the export's real map, or
//! the even split of a freshly created stream). Computed once per run, before the rules.

use crate::keyspace::{MapProblem, ShardMap};
use crate::model::Model;
use crate::template::{self, ClassifyCtx, KeyClass, SqlInfo, Template, TemplateError};

/// What is known about one Kinesis action's partition key.
#[derive(Clone, Debug)]
pub struct KeyAnalysis {
    /// `None` when the key is absent or unknown.
    pub parsed: Option<Result<Template, TemplateError>>,
    pub class: Option<KeyClass>,
}

/// Where a stream's shard map comes from.
#[derive(Clone, Debug)]
pub enum MapSource {
    /// From an export's shard list.
    Export(Result<ShardMap, Vec<MapProblem>>),
    /// Even split of `shard_count` (a fresh stream; resharding makes ranges unequal).
    EvenSplit(ShardMap),
    /// Shard count unknown or on-demand.
    Unknown,
}

impl MapSource {
    pub fn map(&self) -> Option<&ShardMap> {
        match self {
            MapSource::Export(Ok(m)) | MapSource::EvenSplit(m) => Some(m),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Per topic rule: its SQL, parsed.
    pub sql: Vec<Option<SqlInfo>>,
    /// Per topic rule, per Kinesis action.
    pub keys: Vec<Vec<KeyAnalysis>>,
    /// Per stream.
    pub shard_maps: Vec<MapSource>,
}

pub fn analyse(model: &Model) -> Analysis {
    let mut a = Analysis::default();
    for rule in &model.rules {
        let sql = rule.sql.get().map(|s| template::parse_sql(s));
        let filter = sql
            .as_ref()
            .and_then(|s| s.topic_filter.as_ref())
            .map(|(f, _)| f.as_str());
        let keys = rule
            .actions
            .iter()
            .map(|action| {
                // An empty key is dropped like a missing one (SL103); nothing to classify.
                let parsed = action
                    .partition_key
                    .get()
                    .filter(|k| !k.is_empty())
                    .map(|k| {
                        let mut t = template::parse(k)?;
                        // `${@v}` reads the rule's `SET @v = ...`.
                        if let Some(sql) = &sql {
                            template::bind_vars(&mut t, &sql.vars);
                        }
                        Ok(t)
                    });
                let class = match &parsed {
                    Some(Ok(t)) => Some(template::classify(
                        t,
                        &ClassifyCtx {
                            topic_filter: filter,
                        },
                    )),
                    _ => None,
                };
                KeyAnalysis { parsed, class }
            })
            .collect();
        a.keys.push(keys);
        a.sql.push(sql);
    }
    for s in &model.streams {
        let src = if let Some(shards) = &s.shards {
            MapSource::Export(ShardMap::from_records(shards))
        } else {
            match s.open_shard_count() {
                Some(n) if (1..=100_000).contains(&n) => {
                    MapSource::EvenSplit(ShardMap::even(n as u32))
                }
                _ => MapSource::Unknown,
            }
        };
        a.shard_maps.push(src);
    }
    a
}

/// A rule's SQL version: as written, else CloudFormation's default `2015-10-08` (Terraform, the
/// API and plans require one).
pub fn rule_sql_version(rule: &crate::model::TopicRule) -> crate::template::SqlVersion {
    crate::template::SqlVersion::of_rule(
        rule.sql_version.get().map(String::as_str),
        rule.origin.kind == crate::model::SourceKind::CloudFormation,
    )
}
