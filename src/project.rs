//! The `project` step: load → link → analyse, once per run, for every command that needs the
//! configuration (`check`, and `distribute --rule` / `simulate --mapping`, which look a producer
//! or a mapping up in it). Above the loaders and analyses, below the commands.

use std::path::PathBuf;

use crate::analysis::Analysis;
use crate::load::{LoadOptions, Loaded};
use crate::model::Model;

/// A loaded, linked and analysed configuration.
pub struct Project {
    /// The paths given.
    pub paths: Vec<PathBuf>,
    /// What the loaders read; its model is linked.
    pub loaded: Loaded,
    pub analysis: Analysis,
}

/// Discovers and loads `paths`, links producers and mappings to streams and functions, and runs
/// the static analyses.
pub fn open(paths: &[PathBuf], opts: &LoadOptions) -> Project {
    let mut loaded = crate::load::load_paths(paths, opts);
    crate::link::link(&mut loaded.model);
    let analysis = crate::analysis::analyse(&loaded.model);
    Project {
        paths: paths.to_vec(),
        loaded,
        analysis,
    }
}

impl Project {
    /// The model and analyses, for a lookup: a file that could not be read is an error, since a
    /// lookup must not miss a resource because its file was skipped.
    fn complete(&self) -> Result<(&Model, &Analysis), String> {
        if let Some(e) = self.loaded.errors.first() {
            return Err(format!(
                "cannot read the configuration: `{}`: {}",
                e.file, e.message
            ));
        }
        Ok((&self.loaded.model, &self.analysis))
    }

    fn shown(&self) -> String {
        self.paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join("`, `")
    }
}

/// A stream a looked-up producer or mapping is linked to: its name (the key of
/// `[streams."name"]` in shardlint.toml) and whether its configuration sets
/// `RecordDistributionStrategy = AUTO`.
#[derive(Debug, Clone)]
pub struct StreamRef {
    pub name: String,
    pub configured_auto: bool,
}

impl StreamRef {
    fn of(s: &crate::model::Stream) -> StreamRef {
        StreamRef {
            name: s.display_name(),
            configured_auto: s.is_auto_distribution(),
        }
    }

    /// Whether the stream spreads records itself, under `toml`'s override.
    pub fn auto(&self, toml: &crate::config::Config) -> bool {
        toml.auto_distribution(&self.name, self.configured_auto)
    }
}

/// What `distribute --rule NAME --config-path PATH` takes from the configuration: the rule's key
/// template, its `FROM` filter, and the shard map of the stream it writes to (when known).
#[derive(Debug)]
pub struct RuleKey {
    pub template: String,
    /// The rule's `SET` variables, for `${@name}`.
    pub vars: Vec<(String, crate::template::Expr)>,
    pub topic_filter: Option<String>,
    pub stream: Option<(String, crate::keyspace::ShardMap)>,
    /// The stream it writes to, when linked, even without a known shard map.
    pub target: Option<StreamRef>,
    /// The rule's SQL version (it decides how payload numbers become key text).
    pub sql_version: crate::template::SqlVersion,
}

/// The key template, topic filter and shard map of IoT rule `name` (its name or address).
pub fn rule_key(project: &Project, name: &str) -> Result<RuleKey, String> {
    let (model, analysis) = project.complete()?;
    let config_path = project.shown();
    let Some(ri) = model
        .rules
        .iter()
        .position(|r| r.name.get().map(String::as_str) == Some(name) || r.origin.address == name)
    else {
        let known: Vec<String> = model
            .rules
            .iter()
            .filter_map(|r| r.name.get().cloned())
            .collect();
        return Err(format!(
            "no IoT rule `{name}` in `{}` (rules found: {})",
            config_path,
            if known.is_empty() {
                "none".into()
            } else {
                format!("`{}`", known.join("`, `"))
            }
        ));
    };
    let rule = &model.rules[ri];
    let Some(action) = rule.actions.iter().find(|a| !a.in_error_action) else {
        return Err(format!("IoT rule `{name}` has no Kinesis action"));
    };
    let template = match &action.partition_key.state {
        crate::model::ValState::Known(k) => k.clone(),
        crate::model::ValState::Absent => {
            return Err(format!(
                "the Kinesis action of `{name}` has no partition key (AWS documents no default)"
            ));
        }
        crate::model::ValState::Unknown(why) => {
            return Err(format!(
                "the partition key of `{name}` is not known statically: {why}"
            ));
        }
    };
    let topic_filter = analysis
        .sql
        .get(ri)
        .and_then(|s| s.as_ref())
        .and_then(|s| s.topic_filter.as_ref())
        .map(|(f, _)| f.clone());
    let vars = analysis
        .sql
        .get(ri)
        .and_then(|s| s.as_ref())
        .map(|s| s.vars.clone())
        .unwrap_or_default();
    let stream = action.stream.and_then(|si| {
        analysis.shard_maps[si]
            .map()
            .map(|m| (model.streams[si].display_name(), m.clone()))
    });
    Ok(RuleKey {
        template,
        vars,
        topic_filter,
        stream,
        target: action.stream.map(|si| StreamRef::of(&model.streams[si])),
        sql_version: crate::analysis::rule_sql_version(rule),
    })
}

/// An event source mapping found in a configuration, for `simulate --mapping`.
#[derive(Debug)]
pub struct FoundMapping {
    pub mapping: crate::model::EventSourceMapping,
    /// The function's `Timeout` (AWS default 3 s when the function is known without one).
    pub function_timeout_s: Option<i64>,
    pub stream: Option<(String, crate::keyspace::ShardMap)>,
    /// The stream it reads, when linked, even without a known shard map.
    pub source: Option<StreamRef>,
    /// The source's retention in hours (the stream's, or DynamoDB's 24 h), when known.
    pub retention_hours: Option<i64>,
}

/// Finds a mapping by address (`aws_lambda_event_source_mapping.x`, `Resources.X`, `esm/UUID`)
/// or by its function's name.
pub fn find_mapping(project: &Project, name: &str) -> Result<FoundMapping, String> {
    let (model, analysis) = project.complete()?;
    let config_path = project.shown();
    let hits: Vec<usize> = model
        .mappings
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.origin.address == name
                || m.origin.address.rsplit('.').next() == Some(name)
                || m.function.get().map(String::as_str) == Some(name)
                || m.function_idx
                    .and_then(|f| model.functions[f].name.get())
                    .map(String::as_str)
                    == Some(name)
        })
        .map(|(i, _)| i)
        .collect();
    let mi = match hits.as_slice() {
        [i] => *i,
        [] => {
            let known: Vec<&str> = model
                .mappings
                .iter()
                .map(|m| m.origin.address.as_str())
                .collect();
            return Err(format!(
                "no event source mapping `{name}` in `{}` (mappings found: {})",
                config_path,
                if known.is_empty() {
                    "none".into()
                } else {
                    format!("`{}`", known.join("`, `"))
                }
            ));
        }
        many => {
            let names: Vec<&str> = many
                .iter()
                .map(|&i| model.mappings[i].origin.address.as_str())
                .collect();
            return Err(format!(
                "`{name}` names {} mappings: `{}`; give an address",
                many.len(),
                names.join("`, `")
            ));
        }
    };
    let m = model.mappings[mi].clone();
    let function_timeout_s = m.function_idx.map(|f| {
        model.functions[f]
            .timeout
            .get()
            .copied()
            .unwrap_or(crate::model::limits::FUNCTION_TIMEOUT_DEFAULT)
    });
    let stream = m.stream.and_then(|si| {
        analysis.shard_maps[si]
            .map()
            .map(|sm| (model.streams[si].display_name(), sm.clone()))
    });
    let retention_hours =
        crate::model::blocking::source_retention(&m, m.stream.map(|si| &model.streams[si]))
            .map(|(h, _)| h);
    let source = m.stream.map(|si| StreamRef::of(&model.streams[si]));
    Ok(FoundMapping {
        mapping: m,
        function_timeout_s,
        stream,
        source,
        retention_hours,
    })
}

/// Where bytes `range` of IoT rule `name`'s key template are written: `file:line:column` (the
/// exact column inside the string when the loader kept it), for a diagnostic about a part of
/// the template.
pub fn key_location(
    project: &Project,
    name: &str,
    range: std::ops::Range<usize>,
) -> Option<String> {
    let model = &project.loaded.model;
    let rule = model
        .rules
        .iter()
        .find(|r| r.name.get().map(String::as_str) == Some(name) || r.origin.address == name)?;
    let action = rule.actions.iter().find(|a| !a.in_error_action)?;
    let span = action.partition_key.span?;
    let db = &project.loaded.db;
    let at = match action.key_literal {
        Some((lit, esc)) => db.sub_span(lit, esc, range),
        None => span,
    };
    let lc = db.start(at);
    Some(format!(
        "{}:{}:{}",
        db.get(at.file).display_name(),
        lc.line,
        lc.column
    ))
}
