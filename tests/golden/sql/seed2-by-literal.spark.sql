-- shardlint sql (spark): one scan of archive.location, output schema 1 (docs/sql.md)
-- key: vin
-- shard map: stream `location-stream` (8 open shards); ordering groups: 1 per shard, first-seen-round-robin
WITH
scan AS (
  SELECT
    TRUE AS ok,
    'vin' AS k0,
    CAST(`arrival_ms` AS BIGINT) AS ts,
    octet_length(`payload`) AS data_bytes,
    0 AS x_duplicate_members,
    0 AS x_number,
    0 AS x_structured_value,
    0 AS x_case_mapping
  FROM `archive`.`location`
),
rec AS (
  SELECT
    CASE WHEN NOT ok THEN 'bad:json'
         WHEN k0 IS NULL OR k0 = '' THEN 'undefined'
         WHEN length(k0) > 256 THEN 'bad:key-length'
         ELSE 'keyed' END AS status,
    k0, ts, data_bytes, x_duplicate_members, x_number, x_structured_value, x_case_mapping
  FROM scan
),
placed AS (
  SELECT status, k, ts, bytes, x_duplicate_members, x_number, x_structured_value, x_case_mapping, CASE WHEN h IS NULL THEN NULL WHEN h <= '1fffffffffffffffffffffffffffffff' THEN 'shardId-000000000000' WHEN h <= '3fffffffffffffffffffffffffffffff' THEN 'shardId-000000000001' WHEN h <= '5fffffffffffffffffffffffffffffff' THEN 'shardId-000000000002' WHEN h <= '7fffffffffffffffffffffffffffffff' THEN 'shardId-000000000003' WHEN h <= '9fffffffffffffffffffffffffffffff' THEN 'shardId-000000000004' WHEN h <= 'bfffffffffffffffffffffffffffffff' THEN 'shardId-000000000005' WHEN h <= 'dfffffffffffffffffffffffffffffff' THEN 'shardId-000000000006' ELSE 'shardId-000000000007' END AS shard_id, CAST(0 AS INTEGER) AS grp,
    CAST(floor(ts / 500.0) AS BIGINT) AS bucket
  FROM (
    SELECT status, CASE WHEN status = 'keyed' THEN k0 END AS k, ts,
      CASE WHEN status = 'keyed' THEN data_bytes + octet_length(k0) ELSE data_bytes END AS bytes,
      CASE WHEN status = 'keyed' THEN md5(k0) END AS h, x_duplicate_members, x_number, x_structured_value, x_case_mapping
    FROM rec
  ) hashed
),
agg AS (
  SELECT
    CASE WHEN grouping(k) = 0 THEN 'K' WHEN grouping(shard_id) = 0 THEN 'B' ELSE 'S' END AS gs,
    status, shard_id, k, bucket,
    count(*) AS n, count(ts) AS n_ts, sum(bytes) AS b, min(ts) AS first_ts, max(ts) AS last_ts, max(grp) AS hgrp, sum(x_duplicate_members) AS x_duplicate_members, sum(x_number) AS x_number, sum(x_structured_value) AS x_structured_value, sum(x_case_mapping) AS x_case_mapping
  FROM placed
  GROUP BY GROUPING SETS ((status), (shard_id, bucket), (shard_id, k, bucket))
),
w1 AS (
  SELECT agg.*,
    sum(n) OVER (PARTITION BY gs, shard_id, k) AS tot_n,
    sum(b) OVER (PARTITION BY gs, shard_id, k) AS tot_b,
    min(first_ts) OVER (PARTITION BY gs, shard_id, k) AS id_first_ts,
    max(hgrp) OVER (PARTITION BY gs, shard_id, k) AS id_hgrp,
    row_number() OVER (PARTITION BY gs, shard_id, k ORDER BY bucket NULLS LAST) AS rn_id,
    lead(bucket) OVER (PARTITION BY gs, shard_id, k ORDER BY bucket NULLS LAST) AS next_bucket,
    lead(n) OVER (PARTITION BY gs, shard_id, k ORDER BY bucket NULLS LAST) AS next_n,
    lead(b) OVER (PARTITION BY gs, shard_id, k ORDER BY bucket NULLS LAST) AS next_b,
    lag(bucket) OVER (PARTITION BY gs, shard_id, k ORDER BY bucket NULLS LAST) AS prev_bucket,
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
    (CASE WHEN o.half = 0 THEN w1.bucket ELSE w1.bucket - 1 END) * 500 AS at_ms,
    CASE WHEN o.half = 0 AND w1.next_bucket = w1.bucket + 1 THEN w1.n + w1.next_n ELSE w1.n END AS w_n,
    CASE WHEN o.half = 0 AND w1.next_bucket = w1.bucket + 1 THEN w1.b + w1.next_b ELSE w1.b END AS w_b,
    CASE WHEN o.half = 0 AND w1.rn_id = 1 THEN 1 ELSE 0 END AS id_row,
    w1.span_last - w1.span_first + 2 AS span_windows
  FROM w1 CROSS JOIN (VALUES (0), (1)) AS o(half)
  WHERE o.half = 0 OR (w1.bucket IS NOT NULL AND w1.gs <> 'S')
),
w3 AS (
  SELECT w2.*,
    row_number() OVER (PARTITION BY gs, shard_id, k, is_win ORDER BY w_n DESC, at_ms) AS r_rec,
    row_number() OVER (PARTITION BY gs, shard_id, k, is_win ORDER BY w_b DESC, at_ms) AS r_byt,
    sum(CASE WHEN is_win = 1 AND w_n > 1000 THEN 1 ELSE 0 END) OVER (PARTITION BY gs, shard_id, k) AS over_n,
    sum(CASE WHEN is_win = 1 AND w_b > 1048576 THEN 1 ELSE 0 END) OVER (PARTITION BY gs, shard_id, k) AS over_b,
    sum(is_win) OVER (PARTITION BY gs, shard_id, k) AS n_win,
    span_windows - CAST(ceil((span_windows * 99) / 100.0) AS BIGINT) + 1 AS p99_pos,
    sum(id_row) OVER (PARTITION BY gs) AS n_ids,
    row_number() OVER (PARTITION BY gs, id_row ORDER BY tot_n DESC, k, shard_id) AS id_rank,
    row_number() OVER (PARTITION BY gs, shard_id, id_row ORDER BY id_first_ts, k) AS seen_rank
  FROM w2
),
w4 AS (
  SELECT w3.*,
    CASE WHEN gs = 'K' AND id_row = 1 THEN 0 END AS g,
    max(CASE WHEN id_row = 1 THEN id_rank END) OVER (PARTITION BY gs, shard_id, k) AS k_rank,
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
  CAST(CASE e.tag
      WHEN 'meta.schema' THEN 'meta'
      WHEN 'meta.dialect' THEN 'meta'
      WHEN 'meta.template' THEN 'meta'
      WHEN 'meta.rule' THEN 'meta'
      WHEN 'meta.shard_map' THEN 'meta'
      WHEN 'meta.open_shards' THEN 'meta'
      WHEN 'meta.parallelization_factor' THEN 'meta'
      WHEN 'meta.group_model' THEN 'meta'
      WHEN 'meta.top' THEN 'meta'
      WHEN 'meta.time' THEN 'meta'
      WHEN 'timestamped' THEN 'timestamped'
      WHEN 'time_span' THEN 'time_span'
      WHEN 'time_span_end' THEN 'time_span_end'
      WHEN 'status' THEN 'status'
      WHEN 'inexact.duplicate-members' THEN 'inexact'
      WHEN 'inexact.number' THEN 'inexact'
      WHEN 'inexact.structured-value' THEN 'inexact'
      WHEN 'inexact.case-mapping' THEN 'inexact'
      WHEN 'shard' THEN 'shard'
      WHEN 'shard_over' THEN 'shard_windows_over'
      WHEN 'shard_peak_records' THEN 'shard_peak_records'
      WHEN 'shard_peak_bytes' THEN 'shard_peak_bytes'
      WHEN 'key_peak_records' THEN 'key_peak_records'
      WHEN 'key_peak_bytes' THEN 'key_peak_bytes'
      WHEN 'shard_p99_records' THEN 'shard_p99_records'
      WHEN 'shard_p99_bytes' THEN 'shard_p99_bytes'
      WHEN 'windows' THEN 'windows'
      WHEN 'distinct_keys' THEN 'distinct_keys'
      WHEN 'key' THEN 'key'
      WHEN 'group' THEN 'group'
      WHEN 'group_key' THEN 'group_key'
    END AS STRING) AS kind,
  CAST(CASE e.tag
      WHEN 'meta.schema' THEN NULL
      WHEN 'meta.dialect' THEN NULL
      WHEN 'meta.template' THEN NULL
      WHEN 'meta.rule' THEN NULL
      WHEN 'meta.shard_map' THEN NULL
      WHEN 'meta.open_shards' THEN NULL
      WHEN 'meta.parallelization_factor' THEN NULL
      WHEN 'meta.group_model' THEN NULL
      WHEN 'meta.top' THEN NULL
      WHEN 'meta.time' THEN NULL
      WHEN 'timestamped' THEN NULL
      WHEN 'time_span' THEN NULL
      WHEN 'time_span_end' THEN NULL
      WHEN 'status' THEN NULL
      WHEN 'inexact.duplicate-members' THEN NULL
      WHEN 'inexact.number' THEN NULL
      WHEN 'inexact.structured-value' THEN NULL
      WHEN 'inexact.case-mapping' THEN NULL
      WHEN 'shard' THEN shard_id
      WHEN 'shard_over' THEN shard_id
      WHEN 'shard_peak_records' THEN shard_id
      WHEN 'shard_peak_bytes' THEN shard_id
      WHEN 'key_peak_records' THEN shard_id
      WHEN 'key_peak_bytes' THEN shard_id
      WHEN 'shard_p99_records' THEN shard_id
      WHEN 'shard_p99_bytes' THEN shard_id
      WHEN 'windows' THEN NULL
      WHEN 'distinct_keys' THEN NULL
      WHEN 'key' THEN shard_id
      WHEN 'group' THEN shard_id
      WHEN 'group_key' THEN shard_id
    END AS STRING) AS shard_id,
  CAST(CASE e.tag
      WHEN 'meta.schema' THEN NULL
      WHEN 'meta.dialect' THEN NULL
      WHEN 'meta.template' THEN NULL
      WHEN 'meta.rule' THEN NULL
      WHEN 'meta.shard_map' THEN NULL
      WHEN 'meta.open_shards' THEN NULL
      WHEN 'meta.parallelization_factor' THEN NULL
      WHEN 'meta.group_model' THEN NULL
      WHEN 'meta.top' THEN NULL
      WHEN 'meta.time' THEN NULL
      WHEN 'timestamped' THEN NULL
      WHEN 'time_span' THEN NULL
      WHEN 'time_span_end' THEN NULL
      WHEN 'status' THEN NULL
      WHEN 'inexact.duplicate-members' THEN NULL
      WHEN 'inexact.number' THEN NULL
      WHEN 'inexact.structured-value' THEN NULL
      WHEN 'inexact.case-mapping' THEN NULL
      WHEN 'shard' THEN NULL
      WHEN 'shard_over' THEN NULL
      WHEN 'shard_peak_records' THEN NULL
      WHEN 'shard_peak_bytes' THEN NULL
      WHEN 'key_peak_records' THEN NULL
      WHEN 'key_peak_bytes' THEN NULL
      WHEN 'shard_p99_records' THEN NULL
      WHEN 'shard_p99_bytes' THEN NULL
      WHEN 'windows' THEN NULL
      WHEN 'distinct_keys' THEN NULL
      WHEN 'key' THEN g
      WHEN 'group' THEN g
      WHEN 'group_key' THEN g
    END AS INTEGER) AS grp,
  CAST(CASE e.tag
      WHEN 'meta.schema' THEN 'schema=1'
      WHEN 'meta.dialect' THEN 'dialect=spark'
      WHEN 'meta.template' THEN 'template=vin'
      WHEN 'meta.rule' THEN 'rule=by_literal'
      WHEN 'meta.shard_map' THEN 'shard_map=stream `location-stream`'
      WHEN 'meta.open_shards' THEN 'open_shards=8'
      WHEN 'meta.parallelization_factor' THEN 'parallelization_factor=1'
      WHEN 'meta.group_model' THEN 'group_model=first-seen-round-robin'
      WHEN 'meta.top' THEN 'top=10'
      WHEN 'meta.time' THEN 'time=epoch-ms'
      WHEN 'timestamped' THEN NULL
      WHEN 'time_span' THEN NULL
      WHEN 'time_span_end' THEN NULL
      WHEN 'status' THEN status
      WHEN 'inexact.duplicate-members' THEN 'duplicate-members'
      WHEN 'inexact.number' THEN 'number'
      WHEN 'inexact.structured-value' THEN 'structured-value'
      WHEN 'inexact.case-mapping' THEN 'case-mapping'
      WHEN 'shard' THEN NULL
      WHEN 'shard_over' THEN NULL
      WHEN 'shard_peak_records' THEN NULL
      WHEN 'shard_peak_bytes' THEN NULL
      WHEN 'key_peak_records' THEN k
      WHEN 'key_peak_bytes' THEN k
      WHEN 'shard_p99_records' THEN NULL
      WHEN 'shard_p99_bytes' THEN NULL
      WHEN 'windows' THEN NULL
      WHEN 'distinct_keys' THEN NULL
      WHEN 'key' THEN k
      WHEN 'group' THEN NULL
      WHEN 'group_key' THEN k
    END AS STRING) AS item,
  CAST(CASE e.tag
      WHEN 'meta.schema' THEN NULL
      WHEN 'meta.dialect' THEN NULL
      WHEN 'meta.template' THEN NULL
      WHEN 'meta.rule' THEN NULL
      WHEN 'meta.shard_map' THEN NULL
      WHEN 'meta.open_shards' THEN NULL
      WHEN 'meta.parallelization_factor' THEN NULL
      WHEN 'meta.group_model' THEN NULL
      WHEN 'meta.top' THEN NULL
      WHEN 'meta.time' THEN NULL
      WHEN 'timestamped' THEN NULL
      WHEN 'time_span' THEN s_first_ts
      WHEN 'time_span_end' THEN s_last_ts
      WHEN 'status' THEN NULL
      WHEN 'inexact.duplicate-members' THEN NULL
      WHEN 'inexact.number' THEN NULL
      WHEN 'inexact.structured-value' THEN NULL
      WHEN 'inexact.case-mapping' THEN NULL
      WHEN 'shard' THEN NULL
      WHEN 'shard_over' THEN NULL
      WHEN 'shard_peak_records' THEN at_ms
      WHEN 'shard_peak_bytes' THEN at_ms
      WHEN 'key_peak_records' THEN at_ms
      WHEN 'key_peak_bytes' THEN at_ms
      WHEN 'shard_p99_records' THEN NULL
      WHEN 'shard_p99_bytes' THEN NULL
      WHEN 'windows' THEN span_first * 500
      WHEN 'distinct_keys' THEN NULL
      WHEN 'key' THEN id_first_ts
      WHEN 'group' THEN NULL
      WHEN 'group_key' THEN NULL
    END AS BIGINT) AS at_ms,
  CAST(CASE e.tag
      WHEN 'meta.schema' THEN NULL
      WHEN 'meta.dialect' THEN NULL
      WHEN 'meta.template' THEN NULL
      WHEN 'meta.rule' THEN NULL
      WHEN 'meta.shard_map' THEN NULL
      WHEN 'meta.open_shards' THEN NULL
      WHEN 'meta.parallelization_factor' THEN NULL
      WHEN 'meta.group_model' THEN NULL
      WHEN 'meta.top' THEN NULL
      WHEN 'meta.time' THEN NULL
      WHEN 'timestamped' THEN n_ts
      WHEN 'time_span' THEN NULL
      WHEN 'time_span_end' THEN NULL
      WHEN 'status' THEN n
      WHEN 'inexact.duplicate-members' THEN x_duplicate_members
      WHEN 'inexact.number' THEN x_number
      WHEN 'inexact.structured-value' THEN x_structured_value
      WHEN 'inexact.case-mapping' THEN x_case_mapping
      WHEN 'shard' THEN tot_n
      WHEN 'shard_over' THEN over_n
      WHEN 'shard_peak_records' THEN w_n
      WHEN 'shard_peak_bytes' THEN w_n
      WHEN 'key_peak_records' THEN w_n
      WHEN 'key_peak_bytes' THEN w_n
      WHEN 'shard_p99_records' THEN w_n
      WHEN 'shard_p99_bytes' THEN NULL
      WHEN 'windows' THEN span_windows
      WHEN 'distinct_keys' THEN NULL
      WHEN 'key' THEN tot_n
      WHEN 'group' THEN g_records
      WHEN 'group_key' THEN tot_n
    END AS BIGINT) AS records,
  CAST(CASE e.tag
      WHEN 'meta.schema' THEN NULL
      WHEN 'meta.dialect' THEN NULL
      WHEN 'meta.template' THEN NULL
      WHEN 'meta.rule' THEN NULL
      WHEN 'meta.shard_map' THEN NULL
      WHEN 'meta.open_shards' THEN NULL
      WHEN 'meta.parallelization_factor' THEN NULL
      WHEN 'meta.group_model' THEN NULL
      WHEN 'meta.top' THEN NULL
      WHEN 'meta.time' THEN NULL
      WHEN 'timestamped' THEN NULL
      WHEN 'time_span' THEN NULL
      WHEN 'time_span_end' THEN NULL
      WHEN 'status' THEN b
      WHEN 'inexact.duplicate-members' THEN NULL
      WHEN 'inexact.number' THEN NULL
      WHEN 'inexact.structured-value' THEN NULL
      WHEN 'inexact.case-mapping' THEN NULL
      WHEN 'shard' THEN tot_b
      WHEN 'shard_over' THEN over_b
      WHEN 'shard_peak_records' THEN w_b
      WHEN 'shard_peak_bytes' THEN w_b
      WHEN 'key_peak_records' THEN w_b
      WHEN 'key_peak_bytes' THEN w_b
      WHEN 'shard_p99_records' THEN NULL
      WHEN 'shard_p99_bytes' THEN w_b
      WHEN 'windows' THEN NULL
      WHEN 'distinct_keys' THEN NULL
      WHEN 'key' THEN tot_b
      WHEN 'group' THEN NULL
      WHEN 'group_key' THEN NULL
    END AS BIGINT) AS bytes,
  CAST(CASE e.tag
      WHEN 'meta.schema' THEN NULL
      WHEN 'meta.dialect' THEN NULL
      WHEN 'meta.template' THEN NULL
      WHEN 'meta.rule' THEN NULL
      WHEN 'meta.shard_map' THEN NULL
      WHEN 'meta.open_shards' THEN NULL
      WHEN 'meta.parallelization_factor' THEN NULL
      WHEN 'meta.group_model' THEN NULL
      WHEN 'meta.top' THEN NULL
      WHEN 'meta.time' THEN NULL
      WHEN 'timestamped' THEN NULL
      WHEN 'time_span' THEN NULL
      WHEN 'time_span_end' THEN NULL
      WHEN 'status' THEN NULL
      WHEN 'inexact.duplicate-members' THEN NULL
      WHEN 'inexact.number' THEN NULL
      WHEN 'inexact.structured-value' THEN NULL
      WHEN 'inexact.case-mapping' THEN NULL
      WHEN 'shard' THEN NULL
      WHEN 'shard_over' THEN NULL
      WHEN 'shard_peak_records' THEN NULL
      WHEN 'shard_peak_bytes' THEN NULL
      WHEN 'key_peak_records' THEN NULL
      WHEN 'key_peak_bytes' THEN NULL
      WHEN 'shard_p99_records' THEN NULL
      WHEN 'shard_p99_bytes' THEN NULL
      WHEN 'windows' THEN NULL
      WHEN 'distinct_keys' THEN n_ids
      WHEN 'key' THEN NULL
      WHEN 'group' THEN g_keys
      WHEN 'group_key' THEN NULL
    END AS BIGINT) AS keys
FROM w5 CROSS JOIN (VALUES ('meta.schema'), ('meta.dialect'), ('meta.template'), ('meta.rule'), ('meta.shard_map'), ('meta.open_shards'), ('meta.parallelization_factor'), ('meta.group_model'), ('meta.top'), ('meta.time'), ('timestamped'), ('time_span'), ('time_span_end'), ('status'), ('inexact.duplicate-members'), ('inexact.number'), ('inexact.structured-value'), ('inexact.case-mapping'), ('shard'), ('shard_over'), ('shard_peak_records'), ('shard_peak_bytes'), ('key_peak_records'), ('key_peak_bytes'), ('shard_p99_records'), ('shard_p99_bytes'), ('windows'), ('distinct_keys'), ('key'), ('group'), ('group_key')) AS e(tag)
WHERE (e.tag = 'meta.schema' AND gs = 'S' AND s_rank = 1 AND half = 0)
   OR (e.tag = 'meta.dialect' AND gs = 'S' AND s_rank = 1 AND half = 0)
   OR (e.tag = 'meta.template' AND gs = 'S' AND s_rank = 1 AND half = 0)
   OR (e.tag = 'meta.rule' AND gs = 'S' AND s_rank = 1 AND half = 0)
   OR (e.tag = 'meta.shard_map' AND gs = 'S' AND s_rank = 1 AND half = 0)
   OR (e.tag = 'meta.open_shards' AND gs = 'S' AND s_rank = 1 AND half = 0)
   OR (e.tag = 'meta.parallelization_factor' AND gs = 'S' AND s_rank = 1 AND half = 0)
   OR (e.tag = 'meta.group_model' AND gs = 'S' AND s_rank = 1 AND half = 0)
   OR (e.tag = 'meta.top' AND gs = 'S' AND s_rank = 1 AND half = 0)
   OR (e.tag = 'meta.time' AND gs = 'S' AND s_rank = 1 AND half = 0)
   OR (e.tag = 'timestamped' AND gs = 'S' AND half = 0 AND status = 'keyed')
   OR (e.tag = 'time_span' AND gs = 'S' AND s_rank = 1 AND half = 0 AND s_first_ts IS NOT NULL)
   OR (e.tag = 'time_span_end' AND gs = 'S' AND s_rank = 1 AND half = 0 AND s_last_ts IS NOT NULL)
   OR (e.tag = 'status' AND gs = 'S' AND half = 0)
   OR (e.tag = 'inexact.duplicate-members' AND gs = 'S' AND half = 0 AND status = 'keyed' AND x_duplicate_members > 0)
   OR (e.tag = 'inexact.number' AND gs = 'S' AND half = 0 AND status = 'keyed' AND x_number > 0)
   OR (e.tag = 'inexact.structured-value' AND gs = 'S' AND half = 0 AND status = 'keyed' AND x_structured_value > 0)
   OR (e.tag = 'inexact.case-mapping' AND gs = 'S' AND half = 0 AND status = 'keyed' AND x_case_mapping > 0)
   OR (e.tag = 'shard' AND gs = 'B' AND id_row = 1)
   OR (e.tag = 'shard_over' AND gs = 'B' AND id_row = 1 AND n_win > 0)
   OR (e.tag = 'shard_peak_records' AND gs = 'B' AND is_win = 1 AND r_rec = 1)
   OR (e.tag = 'shard_peak_bytes' AND gs = 'B' AND is_win = 1 AND r_byt = 1)
   OR (e.tag = 'key_peak_records' AND gs = 'K' AND is_win = 1 AND r_rec = 1 AND k_rank <= 10)
   OR (e.tag = 'key_peak_bytes' AND gs = 'K' AND is_win = 1 AND r_byt = 1 AND k_rank <= 10)
   OR (e.tag = 'shard_p99_records' AND gs = 'B' AND is_win = 1 AND r_rec = p99_pos)
   OR (e.tag = 'shard_p99_bytes' AND gs = 'B' AND is_win = 1 AND r_byt = p99_pos)
   OR (e.tag = 'windows' AND gs = 'B' AND id_row = 1 AND shard_rank = 1 AND span_windows IS NOT NULL)
   OR (e.tag = 'distinct_keys' AND gs = 'K' AND id_row = 1 AND k_rank = 1)
   OR (e.tag = 'key' AND gs = 'K' AND id_row = 1 AND k_rank <= 10)
   OR (e.tag = 'group' AND gs = 'K' AND id_row = 1 AND g_rank = 1)
   OR (e.tag = 'group_key' AND gs = 'K' AND id_row = 1 AND g_rank <= 5)
) result
ORDER BY kind, shard_id NULLS FIRST, grp NULLS FIRST, item NULLS FIRST, at_ms NULLS FIRST
