//! `shardlint sql`: one query, for DuckDB, Trino (Athena) or Spark SQL, that scans an archive of
//! records once and returns the few hundred rows a distribution report needs (per-shard records
//! and bytes, Undefined and bad records, distinct and top keys, ordering groups, one-second
//! peaks and windows over the write limits, records whose key the engine may render otherwise).
//! The output schema is documented in `docs/sql.md`; `distribution::aggregates` reads it back.
//!
//! The key is the IoT template translated by [`key`]; its MD5 is taken as lowercase hex and
//! placed by comparing 32-digit hex strings with each open shard's ending hash key, so no
//! engine's integer MD5 helper (DuckDB's `md5_number` is little-endian) is involved.
//!
//! One scan: every figure comes out of a single `GROUP BY GROUPING SETS` over the table, then a
//! linear chain of window functions over that aggregate, and one cross join with the list of
//! output row kinds. Engines that inline `WITH` clauses (Trino) still read the table once, since
//! each clause is used once.

pub mod emit;
pub mod key;

use crate::keyspace::ShardMap;
use crate::model::limits::{SHARD_WRITE_BYTES_PER_S, SHARD_WRITE_RECORDS_PER_S};
use crate::ordering::GroupModel;
pub use key::{Columns, Inexact, Refusal};

/// Version of the output schema (the `meta` row `schema=`); bumped on any change of columns or
/// row kinds.
pub const SCHEMA_VERSION: u32 = 1;

/// The output columns, in order.
pub const COLUMNS: [&str; 8] = [
    "kind", "shard_id", "grp", "item", "at_ms", "records", "bytes", "keys",
];

/// The SQL engine the query is written for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Dialect {
    Duckdb,
    Trino,
    Spark,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Duckdb => "duckdb",
            Dialect::Trino => "trino",
            Dialect::Spark => "spark",
        }
    }
    fn string_type(self) -> &'static str {
        match self {
            Dialect::Spark => "STRING",
            _ => "VARCHAR",
        }
    }
    /// Lowercase hex MD5 of a string's UTF-8 bytes.
    fn md5_hex(self, v: &str) -> String {
        match self {
            Dialect::Duckdb | Dialect::Spark => format!("md5({v})"),
            Dialect::Trino => format!("lower(to_hex(md5(to_utf8({v}))))"),
        }
    }
    /// UTF-8 bytes of a string.
    fn octets(self, v: &str) -> String {
        match self {
            Dialect::Duckdb => format!("strlen({v})"),
            Dialect::Trino => format!("length(to_utf8({v}))"),
            Dialect::Spark => format!("octet_length({v})"),
        }
    }
    /// 8 hex digits as a BIGINT.
    fn hex8(self, v: &str) -> String {
        match self {
            Dialect::Duckdb => format!("CAST(('0x' || {v}) AS BIGINT)"),
            Dialect::Trino => format!("from_base({v}, 16)"),
            Dialect::Spark => format!("CAST(conv({v}, 16, 10) AS BIGINT)"),
        }
    }
    /// Whether the payload column holds parseable JSON.
    fn json_valid(self, col: &str) -> String {
        let c = self.ident(col);
        match self {
            Dialect::Duckdb => format!("COALESCE(json_valid({c}), FALSE)"),
            Dialect::Trino => format!("(json_extract({c}, '$') IS NOT NULL)"),
            Dialect::Spark => format!("(get_json_object({c}, '$') IS NOT NULL)"),
        }
    }
}

/// Everything a query is made of besides the template and the shard map.
#[derive(Clone, Debug)]
pub struct QueryOptions {
    pub dialect: Dialect,
    /// The archive table (`db.table` allowed).
    pub table: String,
    pub columns: Columns,
    /// Arrival time in Unix epoch milliseconds; without it there are no per-second peaks.
    pub time_column: Option<String>,
    pub parallelization_factor: u32,
    pub group_model: GroupModel,
    /// Hot keys returned.
    pub top: usize,
    /// Written into the `meta` rows so the reader can check it reads the right result.
    pub rule: Option<String>,
    pub shard_map_label: String,
}

/// A query that cannot be written, with where in the template.
#[derive(Clone, Debug)]
pub enum QueryError {
    Template(Refusal),
    Other(String),
}

/// Keys per group listed in `group_key` rows (as the report lists them).
pub const GROUP_TOP_KEYS: usize = 5;

/// Writes the query for `template` on `map`.
pub fn query(
    template_text: &str,
    template: &crate::template::Template,
    map: &ShardMap,
    o: &QueryOptions,
) -> Result<String, QueryError> {
    let d = o.dialect;
    if map.is_empty() {
        return Err(QueryError::Other("the shard map has no open shard".into()));
    }
    let f = o.parallelization_factor.max(1);
    if f > 1 && o.group_model == GroupModel::JavaHashMod {
        return Err(QueryError::Other(
            "`--group-model java-hash-mod` needs Java's `String.hashCode()` over UTF-16 units, which these engines have no function for: use `first-seen-round-robin` or `hash-mod`".into(),
        ));
    }
    if f > 1 && o.group_model == GroupModel::FirstSeenRoundRobin && o.time_column.is_none() {
        return Err(QueryError::Other(
            "ordering groups under `first-seen-round-robin` follow arrival order: give `--time-column COL` (or `--group-model hash-mod`)".into(),
        ));
    }
    let k = key::translate(template, d, &o.columns).map_err(QueryError::Template)?;
    let st = d.string_type();
    let payload = d.ident(&o.columns.payload);

    // scan: one pass over the table.
    let mut flags = String::new();
    for x in Inexact::ALL {
        let conds: Vec<&str> = k
            .inexact
            .iter()
            .filter(|(i, _)| *i == x)
            .map(|(_, c)| c.as_str())
            .collect();
        let e = if conds.is_empty() {
            "0".to_string()
        } else {
            format!(
                "CASE WHEN {} THEN 1 ELSE 0 END",
                conds
                    .iter()
                    .map(|c| format!("COALESCE({c}, FALSE)"))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            )
        };
        flags.push_str(&format!(",\n    {e} AS x_{}", x.code().replace('-', "_")));
    }
    let valid = if k.reads_payload {
        d.json_valid(&o.columns.payload)
    } else {
        "TRUE".into()
    };
    let ts = match &o.time_column {
        Some(c) => format!("CAST({} AS BIGINT)", d.ident(c)),
        None => "CAST(NULL AS BIGINT)".into(),
    };
    let key_max = crate::model::limits::PARTITION_KEY_MAX;
    let xcols: Vec<String> = Inexact::ALL
        .iter()
        .map(|x| format!("x_{}", x.code().replace('-', "_")))
        .collect();

    // Placement: ending hash keys in ascending order, as 32 lowercase hex digits.
    let mut place = String::from("CASE WHEN h IS NULL THEN NULL");
    let last = map.shards().len() - 1;
    for (i, s) in map.shards().iter().enumerate() {
        let id = d.string_literal(&s.shard_id);
        if i == last {
            place.push_str(&format!(" ELSE {id}"));
        } else {
            place.push_str(&format!(" WHEN h <= '{:032x}' THEN {id}", s.end));
        }
    }
    place.push_str(" END");
    // The first open shard may not start at 0, nor the last end at 2^128-1 (a map with a
    // hole is refused by the loader): hashes outside are still the first/last shard's
    // neighbours, as `ShardMap::shard_index` treats them.
    let hash_group = if f > 1 && o.group_model == GroupModel::HashMod {
        // MD5 as a 128-bit big-endian integer mod f, from four 32-bit pieces.
        let m = ((1u128 << 32) % f as u128) as u64;
        let piece = |i: usize| d.hex8(&format!("substr(h, {}, 8)", 1 + 8 * i));
        let mut acc = format!("({} % {f})", piece(0));
        for i in 1..4 {
            acc = format!("((({acc} * {m}) + {}) % {f})", piece(i));
        }
        format!("CAST({acc} AS INTEGER)")
    } else {
        "CAST(0 AS INTEGER)".into()
    };
    let group_expr = match o.group_model {
        _ if f == 1 => "0".to_string(),
        GroupModel::HashMod => "hgrp".into(),
        _ => format!("CAST((seen_rank - 1) % {f} AS INTEGER)"),
    };

    let win_limit_r = SHARD_WRITE_RECORDS_PER_S as u64;
    let win_limit_b = SHARD_WRITE_BYTES_PER_S as u64;
    let bucket = crate::distribution::peaks::BUCKET_MS;
    let top = o.top;

    // Output rows: (tag, kind, condition, shard_id, grp, item, at_ms, records, bytes, keys).
    struct Emit {
        tag: String,
        kind: &'static str,
        cond: String,
        shard: &'static str,
        grp: &'static str,
        item: String,
        at: String,
        records: String,
        bytes: String,
        keys: &'static str,
    }
    let null = "NULL";
    let mut emits: Vec<Emit> = Vec::new();
    let meta = |name: &str, value: &str| Emit {
        tag: format!("meta.{name}"),
        kind: "meta",
        cond: "gs = 'S' AND s_rank = 1 AND half = 0".into(),
        shard: null,
        grp: null,
        item: d.string_literal(&format!("{name}={value}")),
        at: null.into(),
        records: null.into(),
        bytes: null.into(),
        keys: null,
    };
    emits.push(meta("schema", &SCHEMA_VERSION.to_string()));
    emits.push(meta("dialect", d.name()));
    emits.push(meta("template", template_text));
    if let Some(r) = &o.rule {
        emits.push(meta("rule", r));
    }
    emits.push(meta("shard_map", &o.shard_map_label));
    emits.push(meta("open_shards", &map.len().to_string()));
    emits.push(meta("parallelization_factor", &f.to_string()));
    emits.push(meta("group_model", o.group_model.name()));
    emits.push(meta("top", &top.to_string()));
    emits.push(meta(
        "time",
        if o.time_column.is_some() {
            "epoch-ms"
        } else {
            "none"
        },
    ));
    emits.push(Emit {
        tag: "timestamped".into(),
        kind: "timestamped",
        cond: "gs = 'S' AND half = 0 AND status = 'keyed'".into(),
        shard: null,
        grp: null,
        item: null.into(),
        at: null.into(),
        records: "n_ts".into(),
        bytes: null.into(),
        keys: null,
    });
    emits.push(Emit {
        tag: "time_span".into(),
        kind: "time_span",
        cond: "gs = 'S' AND s_rank = 1 AND half = 0 AND s_first_ts IS NOT NULL".into(),
        shard: null,
        grp: null,
        item: null.into(),
        at: "s_first_ts".into(),
        records: null.into(),
        bytes: null.into(),
        keys: null,
    });
    emits.push(Emit {
        tag: "time_span_end".into(),
        kind: "time_span_end",
        cond: "gs = 'S' AND s_rank = 1 AND half = 0 AND s_last_ts IS NOT NULL".into(),
        shard: null,
        grp: null,
        item: null.into(),
        at: "s_last_ts".into(),
        records: null.into(),
        bytes: null.into(),
        keys: null,
    });
    emits.push(Emit {
        tag: "status".into(),
        kind: "status",
        cond: "gs = 'S' AND half = 0".into(),
        shard: null,
        grp: null,
        item: "status".into(),
        at: null.into(),
        records: "n".into(),
        bytes: "b".into(),
        keys: null,
    });
    for (x, col) in Inexact::ALL.iter().zip(&xcols) {
        emits.push(Emit {
            tag: format!("inexact.{}", x.code()),
            kind: "inexact",
            cond: format!("gs = 'S' AND half = 0 AND status = 'keyed' AND {col} > 0"),
            shard: null,
            grp: null,
            item: d.string_literal(x.code()),
            at: null.into(),
            records: col.clone(),
            bytes: null.into(),
            keys: null,
        });
    }
    emits.push(Emit {
        tag: "shard".into(),
        kind: "shard",
        cond: "gs = 'B' AND id_row = 1".into(),
        shard: "shard_id",
        grp: null,
        item: null.into(),
        at: null.into(),
        records: "tot_n".into(),
        bytes: "tot_b".into(),
        keys: null,
    });
    emits.push(Emit {
        tag: "shard_over".into(),
        kind: "shard_windows_over",
        cond: "gs = 'B' AND id_row = 1 AND n_win > 0".into(),
        shard: "shard_id",
        grp: null,
        item: null.into(),
        at: null.into(),
        records: "over_n".into(),
        bytes: "over_b".into(),
        keys: null,
    });
    for (scope, kind_r, kind_b) in [
        ("B", "shard_peak_records", "shard_peak_bytes"),
        ("K", "key_peak_records", "key_peak_bytes"),
    ] {
        let extra = if scope == "K" {
            format!(" AND k_rank <= {top}")
        } else {
            String::new()
        };
        emits.push(Emit {
            tag: kind_r.into(),
            kind: if scope == "B" {
                "shard_peak_records"
            } else {
                "key_peak_records"
            },
            cond: format!("gs = '{scope}' AND is_win = 1 AND r_rec = 1{extra}"),
            shard: "shard_id",
            grp: null,
            item: if scope == "K" {
                "k".into()
            } else {
                null.into()
            },
            at: "at_ms".into(),
            records: "w_n".into(),
            bytes: "w_b".into(),
            keys: null,
        });
        emits.push(Emit {
            tag: kind_b.into(),
            kind: if scope == "B" {
                "shard_peak_bytes"
            } else {
                "key_peak_bytes"
            },
            cond: format!("gs = '{scope}' AND is_win = 1 AND r_byt = 1{extra}"),
            shard: "shard_id",
            grp: null,
            item: if scope == "K" {
                "k".into()
            } else {
                null.into()
            },
            at: "at_ms".into(),
            records: "w_n".into(),
            bytes: "w_b".into(),
            keys: null,
        });
    }
    emits.push(Emit {
        tag: "shard_p99_records".into(),
        kind: "shard_p99_records",
        cond: "gs = 'B' AND is_win = 1 AND r_rec = p99_pos".into(),
        shard: "shard_id",
        grp: null,
        item: null.into(),
        at: null.into(),
        records: "w_n".into(),
        bytes: null.into(),
        keys: null,
    });
    emits.push(Emit {
        tag: "shard_p99_bytes".into(),
        kind: "shard_p99_bytes",
        cond: "gs = 'B' AND is_win = 1 AND r_byt = p99_pos".into(),
        shard: "shard_id",
        grp: null,
        item: null.into(),
        at: null.into(),
        records: null.into(),
        bytes: "w_b".into(),
        keys: null,
    });
    emits.push(Emit {
        tag: "windows".into(),
        kind: "windows",
        cond: "gs = 'B' AND id_row = 1 AND shard_rank = 1 AND span_windows IS NOT NULL".into(),
        shard: null,
        grp: null,
        item: null.into(),
        at: format!("span_first * {bucket}"),
        records: "span_windows".into(),
        bytes: null.into(),
        keys: null,
    });
    emits.push(Emit {
        tag: "distinct_keys".into(),
        kind: "distinct_keys",
        cond: "gs = 'K' AND id_row = 1 AND k_rank = 1".into(),
        shard: null,
        grp: null,
        item: null.into(),
        at: null.into(),
        records: null.into(),
        bytes: null.into(),
        keys: "n_ids",
    });
    emits.push(Emit {
        tag: "key".into(),
        kind: "key",
        cond: format!("gs = 'K' AND id_row = 1 AND k_rank <= {top}"),
        shard: "shard_id",
        grp: "g",
        item: "k".into(),
        at: "id_first_ts".into(),
        records: "tot_n".into(),
        bytes: "tot_b".into(),
        keys: null,
    });
    emits.push(Emit {
        tag: "group".into(),
        kind: "group",
        cond: "gs = 'K' AND id_row = 1 AND g_rank = 1".into(),
        shard: "shard_id",
        grp: "g",
        item: null.into(),
        at: null.into(),
        records: "g_records".into(),
        bytes: null.into(),
        keys: "g_keys",
    });
    emits.push(Emit {
        tag: "group_key".into(),
        kind: "group_key",
        cond: format!("gs = 'K' AND id_row = 1 AND g_rank <= {GROUP_TOP_KEYS}"),
        shard: "shard_id",
        grp: "g",
        item: "k".into(),
        at: null.into(),
        records: "tot_n".into(),
        bytes: null.into(),
        keys: null,
    });

    let case = |col: &dyn Fn(&Emit) -> String, ty: &str| -> String {
        let mut s = String::from("CASE e.tag");
        for e in &emits {
            s.push_str(&format!("\n      WHEN '{}' THEN {}", e.tag, col(e)));
        }
        s.push_str("\n    END");
        format!("CAST({s} AS {ty})")
    };
    let kind_col = case(&|e| format!("'{}'", e.kind), st);
    let shard_col = case(&|e| e.shard.to_string(), st);
    let grp_col = case(&|e| e.grp.to_string(), "INTEGER");
    let item_col = case(&|e| e.item.clone(), st);
    let at_col = case(&|e| e.at.clone(), "BIGINT");
    let rec_col = case(&|e| e.records.clone(), "BIGINT");
    let bytes_col = case(&|e| e.bytes.clone(), "BIGINT");
    let keys_col = case(&|e| e.keys.to_string(), "BIGINT");
    let conds = emits
        .iter()
        .map(|e| format!("(e.tag = '{}' AND {})", e.tag, e.cond))
        .collect::<Vec<_>>()
        .join("\n   OR ");
    let tags = emits
        .iter()
        .map(|e| format!("('{}')", e.tag))
        .collect::<Vec<_>>()
        .join(", ");
    let xsum = xcols
        .iter()
        .map(|c| format!("sum({c}) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let xsel = xcols.join(", ");
    let table = d.ident(&o.table);
    let id_part = "gs, shard_id, k";
    let header = format!(
        "-- shardlint sql ({dialect}): one scan of {table_shown}, output schema {SCHEMA_VERSION} (docs/sql.md)\n\
         -- key: {template_shown}\n\
         -- shard map: {label} ({n} open shards); ordering groups: {f} per shard, {model}\n",
        dialect = d.name(),
        table_shown = o.table.replace('\n', " "),
        template_shown = template_text.replace('\n', " "),
        label = o.shard_map_label.replace('\n', " "),
        n = map.len(),
        model = o.group_model.name(),
    );
    let group_w4 = format!(
        "CASE WHEN gs = 'K' AND id_row = 1 THEN {} END",
        group_expr.replace("hgrp", "id_hgrp")
    );
    Ok(format!(
        "{header}WITH
scan AS (
  SELECT
    {valid} AS ok,
    {key} AS k0,
    {ts} AS ts,
    {data_bytes} AS data_bytes{flags}
  FROM {table}
),
rec AS (
  SELECT
    CASE WHEN NOT ok THEN 'bad:json'
         WHEN k0 IS NULL OR k0 = '' THEN 'undefined'
         WHEN length(k0) > {key_max} THEN 'bad:key-length'
         ELSE 'keyed' END AS status,
    k0, ts, data_bytes, {xsel}
  FROM scan
),
placed AS (
  SELECT status, k, ts, bytes, {xsel}, {place} AS shard_id, {hash_group} AS grp,
    CAST(floor(ts / {bucket}.0) AS BIGINT) AS bucket
  FROM (
    SELECT status, CASE WHEN status = 'keyed' THEN k0 END AS k, ts,
      CASE WHEN status = 'keyed' THEN data_bytes + {key_bytes} ELSE data_bytes END AS bytes,
      CASE WHEN status = 'keyed' THEN {md5} END AS h, {xsel}
    FROM rec
  ) hashed
),
agg AS (
  SELECT
    CASE WHEN grouping(k) = 0 THEN 'K' WHEN grouping(shard_id) = 0 THEN 'B' ELSE 'S' END AS gs,
    status, shard_id, k, bucket,
    count(*) AS n, count(ts) AS n_ts, sum(bytes) AS b, min(ts) AS first_ts, max(ts) AS last_ts, max(grp) AS hgrp, {xsum}
  FROM placed
  GROUP BY GROUPING SETS ((status), (shard_id, bucket), (shard_id, k, bucket))
),
w1 AS (
  SELECT agg.*,
    sum(n) OVER (PARTITION BY {id_part}) AS tot_n,
    sum(b) OVER (PARTITION BY {id_part}) AS tot_b,
    min(first_ts) OVER (PARTITION BY {id_part}) AS id_first_ts,
    max(hgrp) OVER (PARTITION BY {id_part}) AS id_hgrp,
    row_number() OVER (PARTITION BY {id_part} ORDER BY bucket NULLS LAST) AS rn_id,
    lead(bucket) OVER (PARTITION BY {id_part} ORDER BY bucket NULLS LAST) AS next_bucket,
    lead(n) OVER (PARTITION BY {id_part} ORDER BY bucket NULLS LAST) AS next_n,
    lead(b) OVER (PARTITION BY {id_part} ORDER BY bucket NULLS LAST) AS next_b,
    lag(bucket) OVER (PARTITION BY {id_part} ORDER BY bucket NULLS LAST) AS prev_bucket,
    min(bucket) OVER (PARTITION BY gs) AS span_first,
    max(bucket) OVER (PARTITION BY gs) AS span_last,
    row_number() OVER (PARTITION BY gs ORDER BY status) AS s_rank,
    min(CASE WHEN status IN ('keyed', 'undefined') THEN first_ts END) OVER (PARTITION BY gs) AS s_first_ts,
    max(CASE WHEN status IN ('keyed', 'undefined') THEN last_ts END) OVER (PARTITION BY gs) AS s_last_ts
  FROM agg
  WHERE gs = 'S' OR shard_id IS NOT NULL
),
w2 AS (
  SELECT w1.*, o.half,
    CASE WHEN w1.bucket IS NULL OR w1.gs = 'S' THEN 0
         WHEN o.half = 0 THEN 1
         WHEN w1.prev_bucket IS NULL OR w1.prev_bucket <> w1.bucket - 1 THEN 1
         ELSE 0 END AS is_win,
    (CASE WHEN o.half = 0 THEN w1.bucket ELSE w1.bucket - 1 END) * {bucket} AS at_ms,
    CASE WHEN o.half = 0 AND w1.next_bucket = w1.bucket + 1 THEN w1.n + w1.next_n ELSE w1.n END AS w_n,
    CASE WHEN o.half = 0 AND w1.next_bucket = w1.bucket + 1 THEN w1.b + w1.next_b ELSE w1.b END AS w_b,
    CASE WHEN o.half = 0 AND w1.rn_id = 1 THEN 1 ELSE 0 END AS id_row,
    w1.span_last - w1.span_first + 2 AS span_windows
  FROM w1 CROSS JOIN (VALUES (0), (1)) AS o(half)
  WHERE o.half = 0 OR (w1.bucket IS NOT NULL AND w1.gs <> 'S')
),
w3 AS (
  SELECT w2.*,
    row_number() OVER (PARTITION BY {id_part}, is_win ORDER BY w_n DESC, at_ms) AS r_rec,
    row_number() OVER (PARTITION BY {id_part}, is_win ORDER BY w_b DESC, at_ms) AS r_byt,
    sum(CASE WHEN is_win = 1 AND w_n > {win_limit_r} THEN 1 ELSE 0 END) OVER (PARTITION BY {id_part}) AS over_n,
    sum(CASE WHEN is_win = 1 AND w_b > {win_limit_b} THEN 1 ELSE 0 END) OVER (PARTITION BY {id_part}) AS over_b,
    sum(is_win) OVER (PARTITION BY {id_part}) AS n_win,
    span_windows - CAST(ceil((span_windows * 99) / 100.0) AS BIGINT) + 1 AS p99_pos,
    sum(id_row) OVER (PARTITION BY gs) AS n_ids,
    row_number() OVER (PARTITION BY gs, id_row ORDER BY tot_n DESC, k, shard_id) AS id_rank,
    row_number() OVER (PARTITION BY gs, shard_id, id_row ORDER BY id_first_ts, k) AS seen_rank
  FROM w2
),
w4 AS (
  SELECT w3.*,
    {group_expr_w4} AS g,
    max(CASE WHEN id_row = 1 THEN id_rank END) OVER (PARTITION BY {id_part}) AS k_rank,
    CASE WHEN gs = 'B' AND id_row = 1 THEN id_rank END AS shard_rank
  FROM w3
),
w5 AS (
  SELECT w4.*,
    sum(CASE WHEN id_row = 1 THEN tot_n ELSE 0 END) OVER (PARTITION BY gs, shard_id, g) AS g_records,
    sum(id_row) OVER (PARTITION BY gs, shard_id, g) AS g_keys,
    row_number() OVER (PARTITION BY gs, shard_id, g, id_row ORDER BY tot_n DESC, k) AS g_rank
  FROM w4
  WHERE gs = 'S' OR id_row = 1 OR is_win = 1
)
SELECT * FROM (
SELECT
  {kind_col} AS kind,
  {shard_col} AS shard_id,
  {grp_col} AS grp,
  {item_col} AS item,
  {at_col} AS at_ms,
  {rec_col} AS records,
  {bytes_col} AS bytes,
  {keys_col} AS keys
FROM w5 CROSS JOIN (VALUES {tags}) AS e(tag)
WHERE {conds}
) result
ORDER BY kind, shard_id NULLS FIRST, grp NULLS FIRST, item NULLS FIRST, at_ms NULLS FIRST
",
        key = k.key,
        data_bytes = d.octets(&payload),
        key_bytes = d.octets("k0"),
        md5 = d.md5_hex("k0"),
        group_expr_w4 = group_w4,
    ))
}
