//! `shardlint sql`: clap's flags, resolved as `distribute` resolves them (`--rule` in the
//! configuration, or `--partition-key`; `--shard-map`/`--shards` or the rule's stream;
//! `shardlint.toml` for the group model), then the query of [`crate::sql`] written out. Exit 0
//! with the query; 2 when it cannot be written (a template part SQL cannot compute is located
//! at the template: the configuration file's line and column, or the flag's text).

use std::io::Write;
use std::path::PathBuf;

use crate::keyspace::ShardMap;
use crate::model::limits;
use crate::ordering::GroupModel;
use crate::sql::{Columns, Dialect, QueryError, QueryOptions};

/// `--dialect`: the engine the query is written for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DialectArg {
    /// DuckDB 1.x
    Duckdb,
    /// Trino, and Amazon Athena engine version 3
    Trino,
    /// Spark SQL 3.x (AWS Glue, Amazon EMR, Databricks)
    Spark,
}

impl From<DialectArg> for Dialect {
    fn from(d: DialectArg) -> Dialect {
        match d {
            DialectArg::Duckdb => Dialect::Duckdb,
            DialectArg::Trino => Dialect::Trino,
            DialectArg::Spark => Dialect::Spark,
        }
    }
}

/// Flags of `shardlint sql`.
#[derive(clap::Args, Clone, Debug)]
pub struct SqlArgs {
    /// The engine to write the query for
    #[arg(long, value_enum)]
    pub dialect: DialectArg,
    /// Take the key template (and the stream's shard map, unless given) from this IoT rule
    #[arg(long, value_name = "NAME", conflicts_with = "partition_key")]
    pub rule: Option<String>,
    /// Configuration (files or directories) to find `--rule` in; default `.`
    #[arg(long, value_name = "PATH", requires = "rule")]
    pub config_path: Option<PathBuf>,
    /// `shardlint.toml` to use (default: found by walking up from `--config-path`, else `.`)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// IoT substitution template for the key, e.g. `${topic(2)}-${vin}`
    #[arg(long, value_name = "TEMPLATE")]
    pub partition_key: Option<String>,
    /// Shard map from `aws kinesis list-shards` or `describe-stream` JSON (closed shards skipped)
    #[arg(long, value_name = "EXPORT.json", conflicts_with = "shards")]
    pub shard_map: Option<PathBuf>,
    /// A fresh stream of N shards (even split, as CreateStream makes it)
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    /// The archive table (`db.table` ok)
    #[arg(long, value_name = "NAME", default_value = "records")]
    pub table: String,
    /// Column holding each record's data as JSON text
    #[arg(long, value_name = "COL", default_value = "payload")]
    pub payload_column: String,
    /// Column holding each record's MQTT topic (for `topic()` / `topic(n)`)
    #[arg(long, value_name = "COL")]
    pub topic_column: Option<String>,
    /// Column holding each record's MQTT client id (for `clientid()`)
    #[arg(long, value_name = "COL")]
    pub clientid_column: Option<String>,
    /// Column holding each record's arrival time in Unix epoch milliseconds (per-second peaks)
    #[arg(long, value_name = "COL")]
    pub time_column: Option<String>,
    /// Lambda ParallelizationFactor (1..10) for the ordering groups
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub parallelization_factor: u32,
    /// How keys are assigned to concurrent batches: `first-seen-round-robin` or `hash-mod`
    /// [default: `group-model` of shardlint.toml, else first-seen-round-robin]
    #[arg(long, value_name = "MODEL", value_parser = super::distribute::parse_group_model)]
    pub group_model: Option<GroupModel>,
    /// Hot keys to return
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Write the query here instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// What to write: the query; the Athena table and view for a Firehose prefix (`table`, with
    /// `--dialect trino` and `--location`); a Glue/EMR PySpark job running the query (`pyspark`,
    /// with `--dialect spark`); or a query checking this engine against shardlint on edge
    /// payloads, pass/fail per row (`self-test`)
    #[arg(long, value_enum, default_value = "query", value_name = "WHAT")]
    pub emit: EmitArg,
    /// The Firehose S3 prefix the archive is under, for `--emit table` (`s3://bucket/prefix/`)
    #[arg(long, value_name = "S3_URI")]
    pub location: Option<String>,
}

/// `--emit`: what `shardlint sql` writes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EmitArg {
    /// The distribution query
    Query,
    /// Athena CREATE EXTERNAL TABLE + view for a Firehose prefix (trino)
    Table,
    /// A PySpark job for AWS Glue or Amazon EMR around the query (spark)
    Pyspark,
    /// The query over inline edge payloads with shardlint's answers: pass/fail per check
    SelfTest,
}

/// Runs the command; `Err` is a message to print, exit code 2.
pub fn run(args: &SqlArgs) -> Result<i32, String> {
    let dialect: Dialect = args.dialect.into();
    let columns = Columns {
        payload: args.payload_column.clone(),
        topic: args.topic_column.clone(),
        clientid: args.clientid_column.clone(),
    };
    let archive = || crate::sql::emit::Archive {
        table: &args.table,
        columns: &columns,
        time_column: args.time_column.as_deref(),
    };
    match (args.emit, dialect) {
        (EmitArg::Table, Dialect::Trino) => {
            let location = args.location.as_deref().ok_or(
                "`--emit table` needs `--location s3://bucket/prefix/`, the Firehose prefix",
            )?;
            return write_out(args, &crate::sql::emit::athena_table(&archive(), location)?);
        }
        (EmitArg::Table, _) => {
            return Err("`--emit table` writes Athena's DDL: use `--dialect trino`".into());
        }
        (EmitArg::Pyspark, d) if d != Dialect::Spark => {
            return Err("`--emit pyspark` wraps the Spark query: use `--dialect spark`".into());
        }
        _ if args.location.is_some() => {
            return Err("`--location` is for `--emit table`".into());
        }
        _ => {}
    }
    let config_path = args
        .config_path
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    let toml =
        crate::config_file::resolve(args.config.as_deref(), std::slice::from_ref(&config_path))
            .map_err(|e| e.to_string())?;
    let (project, rule) = match &args.rule {
        Some(name) => {
            let project =
                crate::project::open(std::slice::from_ref(&config_path), &Default::default());
            let rule = crate::project::rule_key(&project, name)?;
            (Some(project), Some(rule))
        }
        None => (None, None),
    };
    let (map, label): (ShardMap, String) = match (
        &args.shard_map,
        args.shards,
        rule.as_ref().and_then(|r| r.stream.as_ref()),
    ) {
        (Some(p), _, _) => (
            crate::load::aws_cli::read_shard_map(p)?,
            p.display().to_string(),
        ),
        (None, Some(0), _) => return Err("`--shards` must be at least `1`".into()),
        (None, Some(n), _) if n > limits::MAX_SHARDS => {
            return Err(format!(
                "`--shards {n}` is more than shardlint models ({})",
                crate::numbers::thousands(limits::MAX_SHARDS as u64)
            ));
        }
        (None, Some(n), _) => (ShardMap::even(n), format!("even {n}")),
        (None, None, Some((stream, m))) => (m.clone(), format!("stream `{stream}`")),
        (None, None, None) => {
            return Err("no shard map: give `--shard-map EXPORT.json` or `--shards N`".into());
        }
    };
    if args.emit == EmitArg::SelfTest {
        let opts = QueryOptions {
            dialect,
            table: args.table.clone(),
            columns: columns.clone(),
            time_column: None,
            parallelization_factor: 1,
            group_model: args.group_model.unwrap_or(toml.group_model),
            top: args.top,
            rule: None,
            shard_map_label: label,
        };
        return write_out(args, &crate::sql::emit::self_test(&map, &opts)?);
    }
    let (text, vars, sql_version) = match (&rule, &args.partition_key) {
        (Some(r), _) => (r.template.clone(), r.vars.clone(), r.sql_version),
        (None, Some(t)) => (t.clone(), Vec::new(), Default::default()),
        (None, None) => {
            return Err("no key: give `--rule NAME` or `--partition-key TEMPLATE`".into());
        }
    };
    // Where a part of the template is, for a diagnostic: in the configuration, or the flag.
    let locate = |range: std::ops::Range<usize>| -> String {
        let at = match (&project, &args.rule) {
            (Some(p), Some(name)) => crate::project::key_location(p, name, range.clone()),
            _ => None,
        };
        let col = text.get(..range.start).map_or(1, |s| s.chars().count() + 1);
        let shown = at.unwrap_or_else(|| format!("--partition-key:1:{col}"));
        let width = text
            .get(range.clone())
            .map_or(1, |s| s.chars().count().max(1));
        format!(
            "{shown}\n  | {}\n  | {}{}",
            crate::render::visible(&text),
            " ".repeat(col - 1),
            "^".repeat(width)
        )
    };
    let mut template = match crate::template::parse(&text) {
        Ok(t) => t,
        Err(e) => {
            return Err(format!(
                "invalid partition key template: {}\n  --> {}",
                e.message,
                locate(e.range)
            ));
        }
    };
    template.sql_version = sql_version;
    crate::template::bind_vars(&mut template, &vars);
    let opts = QueryOptions {
        dialect,
        table: args.table.clone(),
        columns: columns.clone(),
        time_column: args.time_column.clone(),
        parallelization_factor: args.parallelization_factor,
        group_model: args.group_model.unwrap_or(toml.group_model),
        top: args.top,
        rule: args.rule.clone(),
        shard_map_label: label,
    };
    let q = match crate::sql::query(&text, &template, &map, &opts) {
        Ok(q) => q,
        Err(QueryError::Template(r)) => {
            return Err(format!(
                "this key cannot be computed in SQL: {}\n  --> {}",
                r.reason,
                locate(r.range)
            ));
        }
        Err(QueryError::Other(m)) => return Err(m),
    };
    if args.emit == EmitArg::Pyspark {
        let what = format!(
            "Key `{}` on {} ({} open shards).",
            text,
            opts.shard_map_label,
            map.len()
        );
        return write_out(args, &crate::sql::emit::pyspark_job(&archive(), &q, &what)?);
    }
    write_out(args, &q)
}

/// Writes to `--output` or stdout; exit 0.
fn write_out(args: &SqlArgs, text: &str) -> Result<i32, String> {
    match &args.output {
        Some(p) => std::fs::write(p, text.as_bytes())
            .map_err(|e| format!("cannot write `{}`: {e}", p.display()))?,
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write the query: {e}"))?,
    }
    Ok(0)
}
