//! `shardlint.toml`: found by walking up from the first checked path (or given with `--config`),
//! parsed strictly (an unknown key is an error naming its `file:line:col`) and resolved into a
//! [`Config`]. The CLI lays its own flags over the result.
//!
//! ```toml
//! select = ["SL1", "SL3"]
//! ignore = ["SL104"]
//! fail-on = "error"
//! [severity]
//! SL303 = "error"
//! [thresholds]
//! keyspace-skew-ratio = 1.5
//! hot-shard-share = 0.5
//! hot-key-share = 0.5
//! max-standard-consumers = 5
//! [parallelization]
//! group-model = "first-seen-round-robin"   # or "hash-mod", "java-hash-mod"
//! [streams."location-stream"]
//! records-per-second = 8000
//! bytes-per-second = 4000000
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::config::{Config, ConfigSource, StreamRate};
use crate::diagnostic::Severity;
use crate::ordering::GroupModel;
use crate::rules::RULES;
use crate::source::{SourceFile, display_path};

/// The file name looked for in the checked directory and its ancestors.
pub const FILE_NAME: &str = "shardlint.toml";

// The raw file, as serde reads it. The same structs generate the JSON Schema
// (`shardlint config-schema`), so the schema cannot drift from what the parser accepts; a test
// checks every fixture's file against it.

/// shardlint configuration (`shardlint.toml`). Each file is checked under the closest
/// `shardlint.toml` in its directory or above it, up to the repository root.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "shardlint.toml")]
struct RawConfig {
    /// Another config file to inherit from (relative to this file); this file's settings win.
    #[schemars(with = "Option<String>")]
    extend: Option<Spanned<String>>,
    /// Baseline of accepted findings written by `check --write-baseline` (relative to this file).
    #[schemars(with = "Option<String>")]
    baseline: Option<Spanned<String>>,
    /// Only run these rules: codes (`SL101`), code prefixes (`SL3`) or names.
    #[schemars(with = "Option<Vec<RulePattern>>")]
    select: Option<Vec<Spanned<String>>>,
    /// Never run these rules: codes, code prefixes or names.
    #[schemars(with = "Option<Vec<RulePattern>>")]
    ignore: Option<Vec<Spanned<String>>>,
    /// Exit 1 when a finding is at or above this severity (default `warning`).
    #[schemars(with = "Option<SeverityName>")]
    fail_on: Option<Spanned<String>>,
    /// Severity per rule (code or name).
    #[schemars(with = "Option<BTreeMap<String, SeverityName>>")]
    severity: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    thresholds: Option<RawThresholds>,
    parallelization: Option<RawParallelization>,
    /// Expected write rate per stream name, for `stream-under-provisioned`.
    #[schemars(with = "Option<BTreeMap<String, RawStream>>")]
    streams: Option<BTreeMap<Spanned<String>, RawStream>>,
}

/// A rule code (`SL101`), code prefix (`SL3`) or rule name (`constant-partition-key`).
#[derive(schemars::JsonSchema)]
#[schemars(transparent)]
#[allow(dead_code)] // only its schema is used
struct RulePattern(
    #[schemars(regex(pattern = r"^(SL[0-9]{0,3}|sl[0-9]{0,3}|[a-z0-9]+(-[a-z0-9]+)*)$"))] String,
);

#[derive(schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // only its schema is used
enum SeverityName {
    Error,
    Warning,
    Info,
}

#[derive(schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)] // only its schema is used
enum GroupModelName {
    FirstSeenRoundRobin,
    HashMod,
    JavaHashMod,
}

/// Thresholds the rules compare against.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawThresholds {
    /// An open shard owning at least this multiple of the mean keyspace share is skewed (>= 1).
    #[schemars(with = "Option<f64>", range(min = 1.0))]
    keyspace_skew_ratio: Option<Spanned<f64>>,
    /// A shard receiving at least this share of sampled records is hot, in (0, 1].
    #[schemars(with = "Option<f64>", range(min = 0.0, max = 1.0))]
    hot_shard_share: Option<Spanned<f64>>,
    /// A key carrying at least this share of a shard's sampled records is hot, in (0, 1].
    #[schemars(with = "Option<f64>", range(min = 0.0, max = 1.0))]
    hot_key_share: Option<Spanned<f64>>,
    /// More standard (non-EFO) consumers than this on one stream exceed a shard's read budget.
    #[schemars(with = "Option<i64>", range(min = 1))]
    max_standard_consumers: Option<Spanned<i64>>,
}

/// How records are grouped when `ParallelizationFactor` > 1.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawParallelization {
    #[schemars(with = "Option<GroupModelName>")]
    group_model: Option<Spanned<String>>,
}

/// A stream's expected write rate.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawStream {
    #[schemars(with = "Option<f64>", range(min = 0.0))]
    records_per_second: Option<Spanned<f64>>,
    #[schemars(with = "Option<f64>", range(min = 0.0))]
    bytes_per_second: Option<Spanned<f64>>,
    /// `auto` or `user-partition-key`: the stream's record distribution strategy.
    #[schemars(with = "Option<String>")]
    record_distribution: Option<Spanned<String>>,
}

/// The JSON Schema of `shardlint.toml`, pretty-printed (`shardlint config-schema`).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(RawConfig);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// `--show-settings FILE`: the resolved settings governing `file`, as TOML a user could paste.
pub fn describe(file: &Path, c: &Config) -> String {
    let mut out = format!("# Settings for {}\n", display_path(file));
    match &c.source {
        Some(src) => out.push_str(&format!("# config file: {}\n", display_path(&src.path))),
        None => out.push_str("# config file: none (defaults)\n"),
    }
    for e in &c.extends {
        out.push_str(&format!("# extends: {}\n", display_path(e)));
    }
    let list = |v: &[String]| {
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(b) = &c.baseline {
        out.push_str(&format!("baseline = {:?}\n", display_path(b)));
    }
    out.push_str(&format!("select = [{}]\n", list(&c.select)));
    out.push_str(&format!("ignore = [{}]\n", list(&c.ignore)));
    out.push_str(&format!("fail-on = \"{}\"\n", c.fail_on.as_str()));
    let enabled: Vec<String> = RULES
        .iter()
        .filter(|r| c.rule_enabled(r.meta))
        .map(|r| format!("{} ({})", r.meta.code, c.severity_of(r.meta).as_str()))
        .collect();
    out.push_str(&format!("# rules enabled: {}\n", enabled.join(", ")));
    if !c.severity.is_empty() {
        out.push_str("\n[severity]\n");
        let mut sev: Vec<_> = c.severity.iter().collect();
        sev.sort();
        for (k, v) in sev {
            out.push_str(&format!("{k} = \"{}\"\n", v.as_str()));
        }
    }
    out.push_str(&format!(
        "\n[thresholds]\nkeyspace-skew-ratio = {}\nhot-shard-share = {}\nhot-key-share = {}\nmax-standard-consumers = {}\n",
        c.keyspace_skew_ratio, c.hot_shard_share, c.hot_key_share, c.max_standard_consumers
    ));
    out.push_str(&format!(
        "\n[parallelization]\ngroup-model = \"{}\"\n",
        c.group_model.name()
    ));
    for st in &c.streams {
        out.push_str(&format!("\n[streams.{:?}]\n", st.stream));
        if let Some(r) = st.records_per_second {
            out.push_str(&format!("records-per-second = {r}\n"));
        }
        if let Some(b) = st.bytes_per_second {
            out.push_str(&format!("bytes-per-second = {b}\n"));
        }
    }
    out
}

/// A config file that cannot be used; the run stops with exit code 2.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    /// The file as found or given (forward slashes).
    pub file: String,
    /// 1-based line and column (code points) of the offending key or value, when known.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((l, c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Looks for `shardlint.toml` in `start` (or its directory, for a file) and then in every
/// ancestor. Relative paths stay relative while they can, so output names the file as the user
/// would (`fixtures/x/shardlint.toml`).
pub fn discover(start: &Path) -> Option<PathBuf> {
    let dir = if start.is_file() {
        start.parent().unwrap_or(Path::new(""))
    } else {
        start
    };
    let relative_walk = dir.is_relative() && !dir.components().any(|c| c == Component::ParentDir);
    if relative_walk {
        for anc in dir.ancestors() {
            let candidate = anc.join(FILE_NAME);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        // `ancestors` ended at the current directory; go on above it.
        let cwd = std::env::current_dir().ok()?;
        return cwd
            .ancestors()
            .skip(1)
            .map(|a| a.join(FILE_NAME))
            .find(|c| c.is_file());
    }
    let abs = std::fs::canonicalize(dir).ok()?;
    abs.ancestors()
        .map(|a| a.join(FILE_NAME))
        .find(|c| c.is_file())
}

/// Reads and resolves a config file over the defaults.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    load_chain(path, &mut Vec::new())
}

/// How many `extend` links a chain may have before it is reported as too deep.
const MAX_EXTEND_DEPTH: usize = 16;

fn load_chain(path: &Path, seen: &mut Vec<PathBuf>) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: display_path(path),
        position: None,
        message: format!("cannot read the config file: {e}"),
    })?;
    seen.push(crate::baseline::absolute(path));
    parse_chain(path, &text, seen)
}

/// Resolves the config for a run: `explicit` (`--config`) if given, else the `shardlint.toml`
/// found from the first path, else the defaults.
pub fn resolve(explicit: Option<&Path>, paths: &[PathBuf]) -> Result<Config, ConfigError> {
    let found = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => paths
            .first()
            .map(PathBuf::as_path)
            .or(Some(Path::new(".")))
            .and_then(discover),
    };
    match found {
        Some(p) => load(&p),
        None => Ok(Config::default()),
    }
}

/// CLI flags laid over every resolved config.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub fail_on: Option<Severity>,
    pub baseline: Option<PathBuf>,
}

impl Overrides {
    fn apply(&self, config: &mut Config) {
        if !self.select.is_empty() {
            config.select = self.select.clone();
        }
        if !self.ignore.is_empty() {
            config.ignore = self.ignore.clone();
        }
        if let Some(f) = self.fail_on {
            config.fail_on = f;
        }
        if let Some(b) = &self.baseline {
            config.baseline = Some(b.clone());
        }
    }
}

/// Which config governs which file, resolved as ruff does: the closest `shardlint.toml` in the
/// file's directory or above it, up to the repository root (the first directory holding `.git`);
/// `--config FILE` governs every file instead. Configs are read once and cached per directory.
#[derive(Debug)]
pub struct Settings {
    /// Distinct configs, CLI overrides applied; index 0 is the defaults or `--config`.
    pub configs: Vec<Config>,
    explicit: bool,
    overrides: Overrides,
    by_dir: std::collections::HashMap<PathBuf, usize>,
    by_file: std::collections::HashMap<PathBuf, usize>,
}

impl Settings {
    /// One config for every file.
    pub fn single(config: Config) -> Settings {
        Settings {
            configs: vec![config],
            explicit: true,
            overrides: Overrides::default(),
            by_dir: Default::default(),
            by_file: Default::default(),
        }
    }

    /// `--config` if given, else per-directory discovery; `overrides` on top of each.
    pub fn new(explicit: Option<&Path>, overrides: Overrides) -> Result<Settings, ConfigError> {
        let mut base = match explicit {
            Some(p) => load(p)?,
            None => Config::default(),
        };
        overrides.apply(&mut base);
        Ok(Settings {
            configs: vec![base],
            explicit: explicit.is_some(),
            overrides,
            by_dir: Default::default(),
            by_file: Default::default(),
        })
    }

    /// The index into [`Settings::configs`] of the config governing `path` (a file, or a
    /// directory for what is read from it).
    pub fn index_for(&mut self, path: &Path) -> Result<usize, ConfigError> {
        if self.explicit {
            return Ok(0);
        }
        let abs = crate::baseline::absolute(path);
        let dir = if abs.is_dir() {
            abs.clone()
        } else {
            abs.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        if let Some(&i) = self.by_dir.get(&dir) {
            return Ok(i);
        }
        let found = find_above(&dir);
        let idx = match found {
            None => 0,
            Some(file) => match self.by_file.get(&file) {
                Some(&i) => i,
                None => {
                    let mut c = load(&shown_path(&file))?;
                    self.overrides.apply(&mut c);
                    self.configs.push(c);
                    let i = self.configs.len() - 1;
                    self.by_file.insert(file, i);
                    i
                }
            },
        };
        self.by_dir.insert(dir, idx);
        Ok(idx)
    }

    /// The config governing `path`.
    pub fn for_path(&mut self, path: &Path) -> Result<&Config, ConfigError> {
        let i = self.index_for(path)?;
        Ok(&self.configs[i])
    }
}

/// The closest `shardlint.toml` in `dir` or above it, stopping at the repository root.
fn find_above(dir: &Path) -> Option<PathBuf> {
    for anc in dir.ancestors() {
        let candidate = anc.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if anc.join(".git").exists() {
            return None;
        }
    }
    None
}

/// An absolute path under the current directory as the relative path users typed.
fn shown_path(abs: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            abs.strip_prefix(crate::baseline::absolute(&cwd))
                .ok()
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| abs.to_path_buf())
}

/// Parses config text; `path` is only used in messages, kept for related locations and the base
/// of `extend` and `baseline`.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    parse_chain(path, text, &mut vec![crate::baseline::absolute(path)])
}

fn parse_chain(path: &Path, text: &str, seen: &mut Vec<PathBuf>) -> Result<Config, ConfigError> {
    let file = SourceFile::new(path.to_path_buf(), text.to_string());
    let err = |span: Option<std::ops::Range<usize>>, message: String| ConfigError {
        file: display_path(path),
        position: span.map(|s| {
            let lc = file.line_col(s.start);
            (lc.line, lc.column)
        }),
        message,
    };
    let raw: RawConfig =
        toml::from_str(text).map_err(|e| err(e.span(), e.message().trim().to_string()))?;

    let dir = path.parent().unwrap_or(Path::new(""));
    // `extend`: the other file's settings first, this file's on top (ruff's rule).
    let mut config = match &raw.extend {
        None => Config::default(),
        Some(e) => {
            let target = dir.join(e.get_ref());
            let abs = crate::baseline::absolute(&target);
            if seen.contains(&abs) {
                return Err(err(
                    Some(e.span()),
                    format!("`extend` forms a cycle: `{}` extends itself", e.get_ref()),
                ));
            }
            if seen.len() >= MAX_EXTEND_DEPTH {
                return Err(err(
                    Some(e.span()),
                    format!("`extend` chain is deeper than {MAX_EXTEND_DEPTH} files"),
                ));
            }
            if !target.is_file() {
                return Err(err(
                    Some(e.span()),
                    format!(
                        "`extend` names `{}`, which is not a file",
                        display_path(&target)
                    ),
                ));
            }
            let mut base = load_chain(&target, seen)?;
            // Their spans point into the other file, which findings cannot name as this one.
            for st in &mut base.streams {
                st.span = None;
            }
            base.extends
                .push(base.source.take().map(|s| s.path).unwrap_or(target));
            base
        }
    };
    if let Some(b) = &raw.baseline {
        config.baseline = Some(dir.join(b.get_ref()));
    }
    let rule_pattern = |p: &Spanned<String>| -> Result<String, ConfigError> {
        let v = p.get_ref();
        if RULES.iter().any(|r| crate::config::matches(v, r.meta)) {
            Ok(v.clone())
        } else {
            Err(err(
                Some(p.span()),
                format!("no rule matches `{v}`; `shardlint rules` lists the codes and names"),
            ))
        }
    };
    if let Some(sel) = &raw.select {
        config.select = sel.iter().map(rule_pattern).collect::<Result<_, _>>()?;
    }
    if let Some(ign) = &raw.ignore {
        config.ignore = ign.iter().map(rule_pattern).collect::<Result<_, _>>()?;
    }
    let severity = |v: &Spanned<String>| {
        Severity::parse(v.get_ref()).ok_or_else(|| {
            err(
                Some(v.span()),
                format!(
                    "unknown severity `{}`, expected `error`, `warning` or `info`",
                    v.get_ref()
                ),
            )
        })
    };
    if let Some(f) = &raw.fail_on {
        config.fail_on = severity(f)?;
    }
    if let Some(map) = &raw.severity {
        for (k, v) in map {
            let Some(rule) = crate::rules::find(k.get_ref()) else {
                return Err(err(
                    Some(k.span()),
                    format!(
                        "no rule `{}`; `shardlint rules` lists the codes and names",
                        k.get_ref()
                    ),
                ));
            };
            config
                .severity
                .insert(rule.meta.code.to_string(), severity(v)?);
        }
    }
    if let Some(t) = &raw.thresholds {
        let share = |v: &Spanned<f64>, name: &str| {
            let x = *v.get_ref();
            if x > 0.0 && x <= 1.0 {
                Ok(x)
            } else {
                Err(err(
                    Some(v.span()),
                    format!(
                        "`{name}` is a share of records: expected a number in (0, 1], got `{x}`"
                    ),
                ))
            }
        };
        if let Some(v) = &t.keyspace_skew_ratio {
            let x = *v.get_ref();
            if !(x >= 1.0 && x.is_finite()) {
                return Err(err(
                    Some(v.span()),
                    format!(
                        "`keyspace-skew-ratio` is a multiple of the mean share: expected a number of at least 1, got `{x}`"
                    ),
                ));
            }
            config.keyspace_skew_ratio = x;
        }
        if let Some(v) = &t.hot_shard_share {
            config.hot_shard_share = share(v, "hot-shard-share")?;
        }
        if let Some(v) = &t.hot_key_share {
            config.hot_key_share = share(v, "hot-key-share")?;
        }
        if let Some(v) = &t.max_standard_consumers {
            let x = *v.get_ref();
            if x < 1 {
                return Err(err(
                    Some(v.span()),
                    format!("`max-standard-consumers` must be at least 1, got `{x}`"),
                ));
            }
            config.max_standard_consumers = x as usize;
        }
    }
    if let Some(p) = &raw.parallelization
        && let Some(m) = &p.group_model
    {
        config.group_model = GroupModel::parse(m.get_ref()).ok_or_else(|| {
            err(
                Some(m.span()),
                format!(
                    "unknown group model `{}`, expected {}",
                    m.get_ref(),
                    GroupModel::NAMES
                ),
            )
        })?;
    }
    if let Some(streams) = &raw.streams {
        for (name, s) in streams {
            let rate = |v: &Option<Spanned<f64>>, key: &str| -> Result<Option<f64>, ConfigError> {
                match v {
                    None => Ok(None),
                    Some(v) if *v.get_ref() >= 0.0 && v.get_ref().is_finite() => {
                        Ok(Some(*v.get_ref()))
                    }
                    Some(v) => Err(err(
                        Some(v.span()),
                        format!(
                            "`{key}` must be a non-negative number, got `{}`",
                            v.get_ref()
                        ),
                    )),
                }
            };
            let record_distribution = match &s.record_distribution {
                None => None,
                Some(v) => Some(match v.get_ref().as_str() {
                    "auto" => crate::model::RecordDistribution::Auto,
                    "user-partition-key" => crate::model::RecordDistribution::UserPartitionKey,
                    other => {
                        return Err(err(
                            Some(v.span()),
                            format!(
                                "`record-distribution` is `auto` or `user-partition-key`, got `{other}`"
                            ),
                        ));
                    }
                }),
            };
            config.streams.push(StreamRate {
                stream: name.get_ref().clone(),
                records_per_second: rate(&s.records_per_second, "records-per-second")?,
                bytes_per_second: rate(&s.bytes_per_second, "bytes-per-second")?,
                record_distribution,
                span: Some(header_span(text, name.span())),
            });
        }
    }
    config.source = Some(ConfigSource {
        path: path.to_path_buf(),
        text: text.to_string(),
    });
    Ok(config)
}

/// The whole `[streams."name"]` header line when the key sits in one, else the key itself.
fn header_span(text: &str, key: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let line_start = text[..key.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[key.end..]
        .find('\n')
        .map_or(text.len(), |i| key.end + i);
    let line = &text[line_start..line_end];
    if line.trim_start().starts_with('[')
        && let Some(close) = line.rfind(']')
    {
        let open = line.find('[').unwrap_or(0);
        return line_start + open..line_start + close + 1;
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Config, ConfigError> {
        parse(Path::new("shardlint.toml"), s)
    }

    #[test]
    fn full_example_resolves() {
        let c = parse_str(
            "select = [\"SL1\", \"SL3\"]\nignore = [\"SL104\"]\nfail-on = \"error\"\n[severity]\nSL303 = \"error\"\n[thresholds]\nkeyspace-skew-ratio = 2.0\nhot-shard-share = 0.6\nhot-key-share = 0.3\nmax-standard-consumers = 3\n[parallelization]\ngroup-model = \"hash-mod\"\n[streams.\"location-stream\"]\nrecords-per-second = 8000\nbytes-per-second = 4000000\n",
        )
        .unwrap();
        assert_eq!(c.select, ["SL1", "SL3"]);
        assert_eq!(c.ignore, ["SL104"]);
        assert_eq!(c.fail_on, Severity::Error);
        assert_eq!(c.severity.get("SL303"), Some(&Severity::Error));
        assert_eq!(c.keyspace_skew_ratio, 2.0);
        assert_eq!(c.hot_shard_share, 0.6);
        assert_eq!(c.hot_key_share, 0.3);
        assert_eq!(c.max_standard_consumers, 3);
        assert_eq!(c.group_model, GroupModel::HashMod);
        let s = c.stream_rate("location-stream").unwrap();
        assert_eq!(s.records_per_second, Some(8000.0));
        assert_eq!(s.bytes_per_second, Some(4_000_000.0));
        let src = &c.source.as_ref().unwrap().text;
        assert_eq!(
            &src[s.span.clone().unwrap()],
            "[streams.\"location-stream\"]"
        );
    }

    #[test]
    fn unknown_keys_name_their_position() {
        let e = parse_str("select = []\nfail_on = \"error\"\n").unwrap_err();
        assert_eq!(e.position, Some((2, 1)), "{e}");
        assert!(e.message.contains("fail_on"), "{e}");
        let e = parse_str("[thresholds]\nhot-shard = 0.5\n").unwrap_err();
        assert_eq!(e.position, Some((2, 1)), "{e}");
        let e = parse_str("[streams.s]\nrecords = 1\n").unwrap_err();
        assert_eq!(e.position, Some((2, 1)), "{e}");
    }

    #[test]
    fn bad_values_name_their_position() {
        let e = parse_str("[severity]\nSL999 = \"error\"\n").unwrap_err();
        assert_eq!(e.position, Some((2, 1)), "{e}");
        let e = parse_str("[severity]\nSL101 = \"fatal\"\n").unwrap_err();
        assert_eq!(e.position, Some((2, 9)), "{e}");
        let e = parse_str("select = [\"SL9\"]\n").unwrap_err();
        assert_eq!(e.position, Some((1, 11)), "{e}");
        let e = parse_str("[thresholds]\nhot-key-share = 2\n").unwrap_err();
        assert!(e.message.contains("hot-key-share"), "{e}");
    }
}
