//! `shardlint sql --emit table|pyspark|self-test`: what goes around the query on the engines
//! users run. `table`: the Athena DDL for a Firehose prefix and the view the Trino query reads;
//! `pyspark`: the Spark query in a Glue/EMR job script that reads the archive and writes the
//! result for `--aggregates`; `self-test`: the query run over an inline table of edge payloads
//! whose expected answers (computed here, by shardlint's own evaluation) are embedded, so one
//! run in the user's engine says, per check, whether that engine agrees with shardlint.
//!
//! Every archive line is read as text, whole: the query's JSON functions then read the bytes IoT
//! evaluated. A JSON SerDe or a schema-on-read struct would reject duplicate member names and
//! re-serialise values, so the query would compute the SerDe's key, not the payload's.

use super::{Columns, Dialect, QueryOptions};
use crate::keyspace::ShardMap;
use crate::template::Template;

/// Where the archive is and what its lines hold, for `table` and `pyspark`.
#[derive(Clone, Debug)]
pub struct Archive<'a> {
    /// The table (or view) the query reads: `--table`.
    pub table: &'a str,
    pub columns: &'a Columns,
    pub time_column: Option<&'a str>,
}

/// The first hour partition projection offers: Firehose's launch (October 2015).
const PROJECTION_START: &str = "2015/10/01/00";

/// `CREATE EXTERNAL TABLE` over a Firehose S3 prefix (one text column, the whole line; hour
/// partitions projected as Firehose writes them) and the view with the columns the Trino query
/// expects, read from each line.
pub fn athena_table(a: &Archive, location: &str) -> Result<String, String> {
    if !location.starts_with("s3://") {
        return Err(format!(
            "`--location {location}`: give the Firehose prefix as `s3://bucket/prefix/`"
        ));
    }
    let location = if location.ends_with('/') {
        location.to_string()
    } else {
        format!("{location}/")
    };
    // Hive DDL quotes names with backticks, the view (Trino SQL) with double quotes.
    let hive = |name: &str| {
        name.split('.')
            .map(|p| format!("`{}`", p.replace('`', "``")))
            .collect::<Vec<_>>()
            .join(".")
    };
    let lines_table = format!("{}_lines", a.table);
    let d = Dialect::Trino;
    let lit = |s: &str| d.string_literal(s);
    let mut cols = vec![format!("  line AS {}", d.ident(&a.columns.payload))];
    if let Some(t) = a.time_column {
        cols.push(format!(
            "  CAST(json_extract_scalar(line, {}) AS BIGINT) AS {}",
            lit(&member_path(t)),
            d.ident(t)
        ));
    }
    for c in [&a.columns.topic, &a.columns.clientid]
        .into_iter()
        .flatten()
    {
        cols.push(format!(
            "  json_extract_scalar(line, {}) AS {}",
            lit(&member_path(c)),
            d.ident(c)
        ));
    }
    Ok(format!(
        "-- shardlint sql --emit table: an Athena table over the Firehose prefix {location}
-- and the view {view} that `shardlint sql --dialect trino --table {table}` reads.
-- Athena runs one statement at a time: run the CREATE TABLE, then the CREATE VIEW.
--
-- Each line is kept whole, as text: JSON text never holds a raw U+0001 (JSON escapes control
-- characters), so the default field delimiter never splits a line. No JSON SerDe: they reject
-- duplicate member names and re-serialise values, and the key would be the SerDe's, not the
-- payload's. Firehose's UTC hour prefixes (yyyy/MM/dd/HH/) are projected as the partition
-- `datehour`: filter on it to scan a window, e.g. WHERE datehour >= '2026/11/30/00'.
-- GZIP objects (`.gz`) are read as they are.
CREATE EXTERNAL TABLE IF NOT EXISTS {lines} (
  line string
)
PARTITIONED BY (datehour string)
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\001'
STORED AS TEXTFILE
LOCATION '{loc}'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.datehour.type' = 'date',
  'projection.datehour.format' = 'yyyy/MM/dd/HH',
  'projection.datehour.range' = '{PROJECTION_START},NOW',
  'projection.datehour.interval' = '1',
  'projection.datehour.interval.unit' = 'HOURS',
  'storage.location.template' = '{loc}${{datehour}}/'
);

CREATE OR REPLACE VIEW {view} AS
SELECT
{cols},
  datehour
FROM {lines_view};
",
        view = d.ident(a.table),
        table = a.table,
        lines = hive(&lines_table),
        lines_view = d.ident(&lines_table),
        loc = location.replace('\'', "''"),
        cols = cols.join(",\n"),
    ))
}

/// `$.name`, or `$["name"]` when the name is not a plain identifier.
fn member_path(name: &str) -> String {
    if !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
    {
        format!("$.{name}")
    } else {
        format!("$[\"{}\"]", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// A Python job for AWS Glue (Spark) or Amazon EMR (`spark-submit`) that reads every object
/// under `--archive` as text lines, makes the view the Spark query reads, runs `query` and
/// writes its rows as JSON lines under `--output`.
pub fn pyspark_job(a: &Archive, query: &str, what: &str) -> Result<String, String> {
    if a.table.contains('.') {
        return Err(format!(
            "`--table {}`: the job makes the table as a temporary view, which has no database; give a plain name",
            a.table
        ));
    }
    let d = Dialect::Spark;
    let mut cols = vec![format!("value AS {}", d.ident(&a.columns.payload))];
    if let Some(t) = a.time_column {
        cols.push(format!(
            "CAST(get_json_object(value, {}) AS BIGINT) AS {}",
            d.string_literal(&member_path(t)),
            d.ident(t)
        ));
    }
    for c in [&a.columns.topic, &a.columns.clientid]
        .into_iter()
        .flatten()
    {
        cols.push(format!(
            "get_json_object(value, {}) AS {}",
            d.string_literal(&member_path(c)),
            d.ident(c)
        ));
    }
    let view = format!(
        "CREATE OR REPLACE TEMP VIEW {} AS SELECT {} FROM shardlint_lines",
        d.ident(a.table),
        cols.join(", ")
    );
    Ok(format!(
        r#"#!/usr/bin/env python3
"""The shardlint distribution query as a Spark job, written by `shardlint sql --emit pyspark`.
{what}

Reads every object under --archive (Firehose's yyyy/MM/dd/HH/ prefixes included; .gz read as
is) as text lines, each line whole as the payload, and writes the query's rows (output schema 1,
docs/sql.md) as JSON lines under --output. Then: `shardlint check CONFIG --aggregates
part-*.json` (or `distribute --aggregates`).

  Amazon EMR:  spark-submit shardlint_job.py --archive s3://bucket/prefix/ --output s3://bucket/out/
  AWS Glue:    a Spark job running this script, with job parameters --archive and --output
  locally:     python3 shardlint_job.py --archive ./archive --output ./result   (pip install pyspark)
"""
import argparse
import sys

from pyspark.sql import SparkSession

VIEW = {view}

QUERY = {query}


def main(argv):
    p = argparse.ArgumentParser(description="shardlint distribution query")
    p.add_argument("--archive", required=True, help="S3 prefix or directory of the archive")
    p.add_argument("--output", required=True, help="where to write the result (must not exist)")
    # Glue adds arguments of its own (--JOB_ID, --JOB_NAME, ...): ignored.
    a, _ = p.parse_known_args(argv)
    spark = SparkSession.builder.appName("shardlint-distribution").getOrCreate()
    lines = spark.read.option("recursiveFileLookup", "true").text(a.archive)
    lines.createOrReplaceTempView("shardlint_lines")
    spark.sql(VIEW)
    rows = spark.sql(QUERY)
    # A few hundred rows: one file, NULL columns written (the reader expects all eight).
    rows.coalesce(1).write.option("ignoreNullFields", "false").json(a.output)


if __name__ == "__main__":
    main(sys.argv[1:])
"#,
        view = python_string(&view),
        query = python_string(query),
    ))
}

/// A Python string literal holding `s` exactly: a raw triple-quoted string when `s` allows it
/// (readable), else JSON's escaped form, which Python reads the same way.
fn python_string(s: &str) -> String {
    if !s.contains("'''") && !s.ends_with('\\') && !s.contains('\r') {
        format!("r'''{s}'''")
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

/// One edge record of the self-test.
struct Edge {
    what: &'static str,
    payload: String,
    topic: &'static str,
    clientid: &'static str,
}

fn edge(what: &'static str, payload: impl Into<String>) -> Edge {
    Edge {
        what,
        payload: payload.into(),
        topic: "vehicles/TEST-1/location",
        clientid: "TEST-1",
    }
}

/// One expected answer: a row kind and item of the query's result with its records, or either
/// of two alternatives.
struct Check {
    what: String,
    kind: &'static str,
    shard: Option<String>,
    item: String,
    records: u64,
    /// Also a pass: this (kind, item) with `records` (an engine that rejects what shardlint
    /// rejects, where the other answer is the engine counting the record as inexact).
    or: Option<(&'static str, &'static str)>,
}

/// The status shardlint gives a record, and its key and shard when keyed.
fn expected(t: &Template, map: &ShardMap, e: &Edge) -> (&'static str, Option<(String, String)>) {
    let Ok(payload) = serde_json::from_str::<serde_json::Value>(&e.payload) else {
        return ("bad:json", None);
    };
    let mut never = || 0u128;
    let mut input = crate::template::EvalInput {
        payload: &payload,
        topic: Some(e.topic),
        clientid: Some(e.clientid),
        principal: None,
        timestamp_ms: None,
        random: &mut never,
    };
    match crate::template::evaluate(t, &mut input) {
        crate::template::Evaluated::Key(k) if k.is_empty() => ("undefined", None),
        crate::template::Evaluated::Key(k)
            if k.chars().count() > crate::model::limits::PARTITION_KEY_MAX =>
        {
            ("bad:key-length", None)
        }
        crate::template::Evaluated::Key(k) => {
            let shard = map.shards()[crate::keyspace::place(map, &k, None)]
                .shard_id
                .to_string();
            ("keyed", Some((k, shard)))
        }
        _ => ("undefined", None),
    }
}

/// The self-test: for each section, the edge records as an inline table, the query over it,
/// and the expected rows; one result row per check with `pass` or `FAIL`.
pub fn self_test(map: &ShardMap, o: &QueryOptions) -> Result<String, String> {
    let d = o.dialect;
    let long = "L".repeat(crate::model::limits::PARTITION_KEY_MAX);
    let exact = vec![
        edge("a plain key", r#"{"id":"TEST-100001"}"#),
        edge(
            "non-ASCII key (MD5 of its UTF-8 bytes)",
            r#"{"id":"車両-ü-🚗"}"#,
        ),
        edge("escaped characters in the key", r#"{"id":"a\"b\\c\u00e9"}"#),
        edge("a whole number as the key", r#"{"id":12345}"#),
        edge(
            "a key of 256 characters (the limit)",
            format!(r#"{{"id":"{long}"}}"#),
        ),
        edge("an empty key: Undefined", r#"{"id":""}"#),
        edge("no key member: Undefined", r#"{"other":1}"#),
        edge(
            "a key of 257 characters: refused",
            format!(r#"{{"id":"{long}X"}}"#),
        ),
        edge("a payload that is not JSON", "not json"),
    ];
    let topics = vec![
        Edge {
            what: "topic(2) and clientid()",
            payload: "{}".into(),
            topic: "vehicles/TEST-2/location",
            clientid: "client-2",
        },
        Edge {
            what: "non-ASCII topic level and client id",
            payload: "{}".into(),
            topic: "vehicles/車両/location",
            clientid: "ü",
        },
        Edge {
            what: "a topic without a second level: that part is empty",
            payload: "{}".into(),
            topic: "vehicles",
            clientid: "client-3",
        },
    ];
    let inexact = vec![
        edge(
            "duplicate members (engines keep the first, IoT the last)",
            r#"{"id":"first","id":"last"}"#,
        ),
        edge("a number beyond double range", r#"{"id":1e400}"#),
        edge("an object as the key", r#"{"id":{"b":1,"a":2}}"#),
    ];
    // (template, label, edges, exact): labels name the key without `${`, which Spark SQL would
    // take for a variable to substitute inside a string literal.
    let sections: [(&str, &str, Vec<Edge>, bool); 3] = [
        ("${id}", "key id", exact, true),
        (
            "${topic(2)}-${clientid()}",
            "key topic(2)-clientid()",
            topics,
            true,
        ),
        ("${id}", "key id", inexact, false),
    ];

    let string = match d {
        Dialect::Spark => "STRING",
        _ => "VARCHAR",
    };
    let mut ctes = Vec::new();
    let mut checks: Vec<(usize, Check)> = Vec::new();
    for (si, (text, label, edges, exact)) in sections.iter().enumerate() {
        let n = si + 1;
        let t = crate::template::parse(text)
            .map_err(|e| format!("self-test template `{text}`: {}", e.message))?;
        let table = format!("shardlint_selftest_{n}");
        let rows: Vec<String> = edges
            .iter()
            .enumerate()
            .map(|(i, e)| {
                format!(
                    "({}, {}, {}, {})",
                    d.string_literal(&e.payload),
                    d.string_literal(e.topic),
                    d.string_literal(e.clientid),
                    1_667_264_400_000i64 + i as i64 * 1000
                )
            })
            .collect();
        ctes.push(format!(
            "{} AS (\n  SELECT * FROM (VALUES\n    {}\n  ) AS t(payload, topic, clientid, arrival_ms)\n)",
            d.ident(&table),
            rows.join(",\n    ")
        ));
        let qo = QueryOptions {
            table: table.clone(),
            columns: Columns {
                payload: "payload".into(),
                topic: Some("topic".into()),
                clientid: Some("clientid".into()),
            },
            time_column: Some("arrival_ms".into()),
            parallelization_factor: 1,
            top: edges.len() + 1,
            rule: None,
            ..o.clone()
        };
        let q = super::query(text, &t, map, &qo).map_err(|e| match e {
            super::QueryError::Template(r) => r.reason,
            super::QueryError::Other(m) => m,
        })?;
        ctes.push(format!("r{n} AS (\n{}\n)", q.trim_end()));
        if *exact {
            let mut statuses: std::collections::BTreeMap<&str, u64> = Default::default();
            for e in edges {
                let (status, key) = expected(&t, map, e);
                *statuses.entry(status).or_default() += 1;
                if let Some((k, shard)) = key {
                    checks.push((
                        n,
                        Check {
                            what: format!("{label}: {}", e.what),
                            kind: "key",
                            shard: Some(shard),
                            item: k,
                            records: 1,
                            or: None,
                        },
                    ));
                }
            }
            for (status, count) in statuses {
                checks.push((
                    n,
                    Check {
                        what: format!("{label}: records {status}"),
                        kind: "status",
                        shard: None,
                        item: status.to_string(),
                        records: count,
                        or: None,
                    },
                ));
            }
        } else {
            for (e, code) in edges
                .iter()
                .zip(["duplicate-members", "number", "structured-value"])
            {
                checks.push((
                    n,
                    Check {
                        what: format!(
                            "{label}: {}: counted as inexact ({code}), or refused as shardlint refuses it",
                            e.what
                        ),
                        kind: "inexact",
                        shard: None,
                        item: code.to_string(),
                        records: 1,
                        or: (code == "number").then_some(("status", "bad:json")),
                    },
                ));
            }
        }
    }
    let all: Vec<String> = (1..=sections.len())
        .map(|n| format!("SELECT {n} AS section, kind, shard_id, item, records FROM r{n}"))
        .collect();
    ctes.push(format!("got AS (\n  {}\n)", all.join("\n  UNION ALL\n  ")));
    let expected_rows: Vec<String> = checks
        .iter()
        .enumerate()
        .map(|(i, (n, c))| {
            let (or_kind, or_item) = c.or.unwrap_or(("", ""));
            format!(
                "({}, {n}, {}, {}, {}, {}, {}, {}, {})",
                i + 1,
                d.string_literal(&c.what),
                d.string_literal(c.kind),
                d.string_literal(c.shard.as_deref().unwrap_or("")),
                d.string_literal(&c.item),
                c.records,
                d.string_literal(or_kind),
                d.string_literal(or_item),
            )
        })
        .collect();
    ctes.push(format!(
        "expected AS (\n  SELECT * FROM (VALUES\n    {}\n  ) AS e(check_no, section, what, kind, shard_id, item, records, or_kind, or_item)\n)",
        expected_rows.join(",\n    ")
    ));
    let shown = |alias: &str| {
        format!(
            "CASE WHEN {alias}.records IS NULL THEN 'no row' ELSE CAST({alias}.records AS {string}) || ' x ' || {alias}.item || CASE WHEN COALESCE({alias}.shard_id, '') = '' THEN '' ELSE ' on ' || {alias}.shard_id END END"
        )
    };
    let got_shown = format!(
        "CASE WHEN g.records IS NULL AND a.records IS NOT NULL THEN {} ELSE {} END",
        shown("a"),
        shown("g")
    );
    Ok(format!(
        "-- shardlint sql --emit self-test ({dialect}): does this engine compute keys, MD5 and shards as
-- shardlint does? The distribution query runs over an inline table of edge payloads (non-ASCII
-- and escaped keys, numbers, the 256-character limit, empty and missing keys, bad JSON, topic
-- levels; duplicate members, 1e400 and object-valued keys, which engines may render otherwise
-- and the query counts as inexact). Expected answers were computed by shardlint {version} on
-- {shards}. Run once; every row should say `pass`.
WITH
{ctes}
SELECT e.check_no, e.what,
  CAST(e.records AS {string}) || ' x ' || e.item || CASE WHEN e.shard_id = '' THEN '' ELSE ' on ' || e.shard_id END AS expected,
  {got_shown} AS engine,
  CASE WHEN g.records = e.records OR a.records = e.records THEN 'pass' ELSE 'FAIL' END AS result
FROM expected e
LEFT JOIN got g ON g.section = e.section AND g.kind = e.kind AND g.item = e.item
  AND COALESCE(g.shard_id, '') = e.shard_id
LEFT JOIN got a ON a.section = e.section AND a.kind = e.or_kind AND a.item = e.or_item
ORDER BY e.check_no
",
        dialect = d.name(),
        version = env!("CARGO_PKG_VERSION"),
        shards = o.shard_map_label,
        ctes = ctes.join(",\n"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(cols: &Columns) -> Archive<'_> {
        Archive {
            table: "location",
            columns: cols,
            time_column: Some("arrival_ms"),
        }
    }

    fn cols() -> Columns {
        Columns {
            payload: "payload".into(),
            topic: Some("topic".into()),
            clientid: Some("client id".into()),
        }
    }

    #[test]
    fn athena_table_reads_lines_whole_under_projected_hours() {
        let c = cols();
        let ddl = athena_table(&archive(&c), "s3://bucket/iot/location").unwrap();
        assert!(ddl.contains("CREATE EXTERNAL TABLE IF NOT EXISTS `location_lines` ("));
        assert!(ddl.contains("LOCATION 's3://bucket/iot/location/'"));
        assert!(
            ddl.contains("'storage.location.template' = 's3://bucket/iot/location/${datehour}/'")
        );
        assert!(ddl.contains("'projection.datehour.format' = 'yyyy/MM/dd/HH'"));
        assert!(ddl.contains("CREATE OR REPLACE VIEW \"location\" AS"));
        assert!(ddl.contains(
            "CAST(json_extract_scalar(line, '$.arrival_ms') AS BIGINT) AS \"arrival_ms\""
        ));
        // A member name that is not an identifier is quoted in the path and the column.
        assert!(ddl.contains("json_extract_scalar(line, '$[\"client id\"]') AS \"client id\""));
        assert!(!ddl.contains("JsonSerDe\n"), "no JSON SerDe");
        assert!(athena_table(&archive(&c), "bucket/iot").is_err());
    }

    #[test]
    fn pyspark_job_embeds_the_query_exactly() {
        let c = cols();
        let q = "SELECT 'a\\\\b' AS x -- it's\n";
        let job = pyspark_job(&archive(&c), q, "key `${vin}`").unwrap();
        assert!(job.contains(&format!("QUERY = r'''{q}'''")));
        // A query Python's raw string cannot hold is written escaped.
        let odd = "SELECT ''' AS x \\";
        let job = pyspark_job(&archive(&c), odd, "").unwrap();
        assert!(job.contains(&format!("QUERY = {}", serde_json::to_string(odd).unwrap())));
        let dotted = Archive {
            table: "db.location",
            ..archive(&c)
        };
        assert!(pyspark_job(&dotted, q, "").is_err());
    }

    #[test]
    fn python_strings_round_trip_through_json() {
        for s in ["plain", "a'''b", "ends\\", "cr\r"] {
            let lit = python_string(s);
            if let Some(body) = lit.strip_prefix("r'''") {
                assert_eq!(body.strip_suffix("'''"), Some(s));
            } else {
                assert_eq!(serde_json::from_str::<String>(&lit).unwrap(), s);
            }
        }
    }
}
