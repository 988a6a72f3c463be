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
//! group-model = "first-seen-round-robin"   # or "hash-mod"
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    fail_on: Option<Spanned<String>>,
    severity: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    thresholds: Option<RawThresholds>,
    parallelization: Option<RawParallelization>,
    streams: Option<BTreeMap<Spanned<String>, RawStream>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawThresholds {
    keyspace_skew_ratio: Option<Spanned<f64>>,
    hot_shard_share: Option<Spanned<f64>>,
    hot_key_share: Option<Spanned<f64>>,
    max_standard_consumers: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawParallelization {
    group_model: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawStream {
    records_per_second: Option<Spanned<f64>>,
    bytes_per_second: Option<Spanned<f64>>,
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
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: display_path(path),
        position: None,
        message: format!("cannot read the config file: {e}"),
    })?;
    parse(path, &text)
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

/// Parses config text; `path` is only used in messages and kept for related locations.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
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

    let mut config = Config::default();
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
                    "unknown group model `{}`, expected `first-seen-round-robin` or `hash-mod`",
                    m.get_ref()
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
            config.streams.push(StreamRate {
                stream: name.get_ref().clone(),
                records_per_second: rate(&s.records_per_second, "records-per-second")?,
                bytes_per_second: rate(&s.bytes_per_second, "bytes-per-second")?,
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
