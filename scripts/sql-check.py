#!/usr/bin/env python3
"""Runs `shardlint sql` on an engine over a Firehose archive and compares its result, field by
field, with `shardlint distribute --samples` on the same records: per-shard records and bytes,
keyed / Undefined / bad records, distinct keys, top keys (with their busiest second), and per
shard the busiest one-second window by records and by bytes (value and start) and the p99s.
Prints the comparison; exits 1 on any difference, 2 when something could not run.

Engines (--dialects, default duckdb,trino):
  duckdb  the `--dialect duckdb` query in DuckDB (Python wheel `duckdb`)
  trino   the `--dialect trino` query (Athena's) transpiled by sqlglot to DuckDB and run there
  spark   the `--dialect spark` query on Spark local[2] (`pyspark`; see scripts/spark-check.sh)

The archive is what scripts/gen-archive.py writes: JSON lines, each the IoT message plus
`topic`, `clientid` and `arrival_ms` members. Every engine reads each line as text, so the
payload column is the line exactly as archived (no engine re-serialises it); `arrival_ms`,
`topic` and `clientid` are read from it. `distribute` reads the same records as MQTT envelopes
(`{"topic","clientid","timestamp","payload": <the line>}`), written once under --work.

usage (a venv with duckdb and sqlglot, e.g. /tmp/venv-sql):
  scripts/gen-archive.py /tmp/archive
  /tmp/venv-sql/bin/python scripts/sql-check.py /tmp/archive [--shardlint target/release/shardlint]
      [--shards 8] [--template TEMPLATE ...] [--dialects duckdb,trino,spark] [--work DIR]
"""
import argparse
import datetime
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Seed 2's constant key (every record on one shard), the key the seed's authors meant (100,000
# vehicles, Undefined on an empty list) and one from the topic and client id columns.
TEMPLATES = ["vin", '${get(get(list, 0), "vin")}', "${topic(2)}-${clientid()}"]
COLUMNS = ["kind", "shard_id", "grp", "item", "at_ms", "records", "bytes", "keys"]


def default_shardlint():
    for p in [os.environ.get("SHARDLINT"), f"{ROOT}/target/release/shardlint", f"{ROOT}/target/debug/shardlint"]:
        if p and os.path.isfile(p):
            return p
    return "shardlint"


def archive_files(archive):
    files = sorted(f for f in glob.glob(os.path.join(archive, "**"), recursive=True) if os.path.isfile(f))
    if not files:
        sys.exit(f"sql-check: no archive objects under {archive} (write them with scripts/gen-archive.py)")
    return files


def envelopes(files, work):
    """The archive's records as MQTT envelopes for `distribute --samples`, written once."""
    path = os.path.join(work, "envelopes.jsonl")
    stamp = path + ".from"
    key = "\n".join(f"{f} {os.path.getsize(f)} {os.path.getmtime(f)}" for f in files)
    if os.path.exists(path) and os.path.exists(stamp) and open(stamp).read() == key:
        return path
    n = 0
    with open(path, "w") as out:
        for f in files:
            with open(f) as inp:
                for line in inp:
                    line = line.rstrip("\n")
                    if not line:
                        continue
                    m = json.loads(line)
                    head = {"topic": m.get("topic"), "clientid": m.get("clientid"), "timestamp": m.get("arrival_ms")}
                    out.write(json.dumps(head, separators=(",", ":"))[:-1] + ',"payload":' + line + "}\n")
                    n += 1
    with open(stamp, "w") as s:
        s.write(key)
    print(f"sql-check: {n:,} records as envelopes in {path}", file=sys.stderr)
    return path


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.stderr.write(r.stderr)
        sys.exit(f"sql-check: `{' '.join(cmd)}` exited {r.returncode}")
    return r.stdout


def iso_ms(s):
    return int(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)


def from_distribute(r):
    """The comparable figures of a `distribute --format json` report."""
    f = {
        "records: keyed": r["input"]["keyed_records"],
        "records: undefined": r["undefined_keys"]["count"],
        "records: bad": r["bad_lines"]["count"],
        "distinct keys": r["distinct_keys"]["count"] if r["distinct_keys"]["exact"] else None,
        "windows over the span": (r["input"]["time"].get("windows") or {}).get("count"),
    }
    for s in r["shards"]:
        sid = s["shard_id"]
        if s["records"]:
            f[f"shard records {sid}"] = s["records"]
            f[f"shard bytes {sid}"] = s["bytes"]
        w = s.get("per_second")
        if w:
            f[f"peak records/s {sid}"] = (w["peak_records"], iso_ms(w["peak_records_at"]))
            f[f"peak bytes/s {sid}"] = (w["peak_bytes"], iso_ms(w["peak_bytes_at"]))
            f[f"p99 records/s {sid}"] = w["p99_records"]
            f[f"p99 bytes/s {sid}"] = w["p99_bytes"]
    top = []
    for k in r["hot_keys"]:
        w = k.get("per_second") or {}
        at = w.get("peak_records_at")
        top.append((k["key"], k["count"], k["shard_id"], w.get("peak_records"), iso_ms(at) if at else None))
    f["top keys"] = top
    return f


def from_rows(rows):
    """The same figures from the query's result rows (docs/sql.md, schema 1)."""
    f = {"records: keyed": 0, "records: undefined": 0, "records: bad": 0, "distinct keys": None,
         "windows over the span": None}
    keys = {}
    peaks = {}
    for r in rows:
        kind, sid, item = r["kind"], r["shard_id"], r["item"]
        if kind == "status":
            name = "keyed" if item == "keyed" else "undefined" if item == "undefined" else "bad"
            f[f"records: {name}"] += r["records"]
        elif kind == "distinct_keys":
            f["distinct keys"] = r["keys"]
        elif kind == "windows":
            f["windows over the span"] = r["records"]
        elif kind == "shard":
            f[f"shard records {sid}"] = r["records"]
            f[f"shard bytes {sid}"] = r["bytes"]
        elif kind == "shard_peak_records":
            f[f"peak records/s {sid}"] = (r["records"], r["at_ms"])
        elif kind == "shard_peak_bytes":
            f[f"peak bytes/s {sid}"] = (r["bytes"], r["at_ms"])
        elif kind == "shard_p99_records":
            f[f"p99 records/s {sid}"] = r["records"]
        elif kind == "shard_p99_bytes":
            f[f"p99 bytes/s {sid}"] = r["bytes"]
        elif kind == "key":
            keys[item] = (r["records"], sid)
        elif kind == "key_peak_records":
            peaks[item] = (r["records"], r["at_ms"])
    # A shard whose busiest second is empty has no row: as distribute, p99 0 is said by absence.
    top = [(k, n, sid) + peaks.get(k, (None, None)) for k, (n, sid) in keys.items()]
    top.sort(key=lambda t: (-t[1], t[0]))
    f["top keys"] = top
    return f


def quantise(v):
    """distribute keeps p99 histograms to 11 significant bits above 2,048 (src/distribution/
    peaks.rs `quantise`, under 0.1% low); the engine's exact p99 is compared the same way."""
    if v is None or v < 2048:
        return v
    shift = v.bit_length() - 11
    return (v >> shift) << shift


def normalise_p99(a, b):
    """distribute prints every shard's p99 (0 included); the query leaves out zeros."""
    for f, g in ((a, b), (b, a)):
        for k in list(f):
            if k.startswith("p99 ") and k not in g and f[k] == 0:
                g[k] = 0
    for k in b:
        if k.startswith("p99 "):
            b[k] = quantise(b[k])


def compare(local, engine):
    normalise_p99(local, engine)
    diffs = []
    for k in sorted(set(local) | set(engine), key=order):
        a, b = local.get(k), engine.get(k)
        if a != b:
            diffs.append((k, a, b))
    return diffs


def order(k):
    groups = ["records:", "distinct", "windows", "shard records", "shard bytes", "peak records", "peak bytes",
              "p99 records", "p99 bytes", "top"]
    return (next((i for i, g in enumerate(groups) if k.startswith(g)), 99), k)


def fmt(v):
    if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], int) and v[1] > 10**12:
        at = datetime.datetime.fromtimestamp(v[1] / 1000, datetime.timezone.utc).strftime("%H:%M:%S.%f")[:-3]
        return f"{v[0]:,} at {at}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def summary(local):
    """One line per field group: how many values were compared."""
    out = []
    groups = {}
    for k in local:
        g = k.split(" shardId")[0]
        groups.setdefault(g, []).append(local[k])
    for g in sorted(groups, key=order):
        vals = groups[g]
        if g == "top keys":
            v = vals[0]
            out.append((g, f"{len(v)} keys, largest {v[0][0]} x {v[0][1]:,}" if v else "none"))
        elif len(vals) == 1:
            out.append((g, fmt(vals[0])))
        else:
            big = max(vals, key=lambda x: x[0] if isinstance(x, tuple) else x)
            out.append((g, f"{len(vals)} shards, max {fmt(big)}"))
    return out


def trino_to_duckdb(sql):
    """The Trino query as DuckDB runs it, by sqlglot. Two repairs where sqlglot's DuckDB text
    does not do what Trino does, said when made: Trino's byte length `length(to_utf8(s))`
    becomes `LENGTH(ENCODE(s))`, which DuckDB refuses (`length(BLOB)`; a blob's byte length is
    `octet_length`); and Trino's `json_extract(s, '$')` is NULL for text that is not JSON, where
    DuckDB's `s -> '$'` raises an error (DuckDB's test is `json_valid`)."""
    import sqlglot
    from sqlglot import exp
    fixed = {"length": 0, "json": 0}

    def fix(node):
        if isinstance(node, exp.Length) and isinstance(node.this, exp.Encode):
            fixed["length"] += 1
            return exp.Anonymous(this="octet_length", expressions=[node.this])
        if (isinstance(node, exp.JSONExtract) and isinstance(node.expression, exp.JSONPath)
                and [type(e) for e in node.expression.expressions] == [exp.JSONPathRoot]):
            fixed["json"] += 1
            valid = exp.Anonymous(this="json_valid", expressions=[node.this.copy()])
            return exp.Case(ifs=[exp.If(this=valid, true=node.this.copy())])
        return node

    tree = sqlglot.parse_one(sql, read="trino").transform(fix)
    notes = []
    if fixed["length"]:
        notes.append(f"{fixed['length']} x length(to_utf8(s)) run as octet_length(encode(s))")
    if fixed["json"]:
        notes.append(f"{fixed['json']} x json_extract(s, '$') run as CASE WHEN json_valid(s) THEN s END")
    return tree.sql(dialect="duckdb"), "; ".join(notes)


class DuckDB:
    def __init__(self, files):
        import duckdb
        self.con = duckdb.connect()
        self.con.execute("SET threads TO 2")
        if not files:
            return
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        # Each line as text: the payload exactly as archived; the three columns read from it.
        self.con.execute(f"""
            CREATE VIEW archive AS
            SELECT line AS payload,
                   CAST(json_extract_string(line, '$.arrival_ms') AS BIGINT) AS arrival_ms,
                   json_extract_string(line, '$.topic') AS topic,
                   json_extract_string(line, '$.clientid') AS clientid
            FROM read_csv([{listed}], columns = {{'line': 'VARCHAR'}}, delim = chr(1), quote = '',
                          escape = '', header = false, auto_detect = false, max_line_size = 10000000)
        """)

    def rows(self, sql):
        cur = self.con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


class Spark:
    def __init__(self, files):
        from pyspark.sql import SparkSession
        self.spark = (SparkSession.builder.master("local[2]").appName("shardlint-sql-check")
                      .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").config("spark.sql.shuffle.partitions", "8")
                      .config("spark.driver.memory", "2g").getOrCreate())
        self.spark.sparkContext.setLogLevel("ERROR")
        if not files:
            return
        self.spark.read.text(files).createOrReplaceTempView("archive_lines")
        self.spark.sql("""
            CREATE OR REPLACE TEMP VIEW archive AS
            SELECT value AS payload,
                   CAST(get_json_object(value, '$.arrival_ms') AS BIGINT) AS arrival_ms,
                   get_json_object(value, '$.topic') AS topic,
                   get_json_object(value, '$.clientid') AS clientid
            FROM archive_lines
        """)

    def rows(self, sql):
        return [r.asDict() for r in self.spark.sql(sql).collect()]


def self_test(a):
    """`--emit self-test` on each engine: prints every check; exit 1 on any FAIL."""
    failed = 0
    for d in [d.strip() for d in a.dialects.split(",") if d.strip()]:
        sql = run([a.shardlint, "sql", "--dialect", d, "--emit", "self-test", "--shards", str(a.shards)])
        label = d
        if d == "trino":
            sql, fixes = trino_to_duckdb(sql)
            label = "trino via sqlglot on duckdb"
        engine = Spark([]) if d == "spark" else DuckDB([])
        try:
            rows = engine.rows(sql)
        except Exception as e:  # the engine refused the query: say why, count it as a failure
            print(f"== {label}: the engine could not run the self-test: {str(e).splitlines()[0]}")
            failed += 1
            continue
        bad = [r for r in rows if r["result"] != "pass"]
        print(f"== {label}: {len(rows) - len(bad)} of {len(rows)} checks pass")
        for r in rows:
            print(f"   {r['check_no']:>2} {r['result']:<4} {r['what'][:70]:<70} expected {r['expected'][:40]}"
                  f"{'' if r['result'] == 'pass' else ' | engine ' + r['engine'][:40]}")
        failed += bool(bad)
    return 1 if failed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("archive")
    p.add_argument("--shardlint", default=default_shardlint())
    p.add_argument("--shards", type=int, default=8)
    p.add_argument("--template", action="append", help="key template (repeatable); default: three")
    p.add_argument("--dialects", default="duckdb,trino")
    p.add_argument("--exact-keys", type=int, default=2_000_000,
                   help="distribute's exact key table (default 2,000,000: above the archive's distinct keys)")
    p.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "shardlint-sql-check"))
    p.add_argument("--self-test", action="store_true",
                   help="run `shardlint sql --emit self-test` on each engine instead (no archive read)")
    a = p.parse_args()
    if a.self_test:
        return self_test(a)
    os.makedirs(a.work, exist_ok=True)
    files = archive_files(a.archive)
    samples = envelopes(files, a.work)
    dialects = [d.strip() for d in a.dialects.split(",") if d.strip()]
    engines = {}
    failed = 0
    for template in a.template or TEMPLATES:
        t0 = time.time()
        # Exact key counts (not the Space-Saving and HyperLogLog sketches past 57,344 keys):
        # distinct and top keys are compared exactly.
        report = json.loads(run([a.shardlint, "distribute", "--samples", samples, "--shards", str(a.shards),
                                 "--partition-key", template, "--format", "json",
                                 "--exact-keys", str(a.exact_keys)]))
        local_s = time.time() - t0
        local = from_distribute(report)
        print(f"\n== key `{template}` on {a.shards} shards: {report['input']['records']:,} records; "
              f"distribute --samples {local_s:.1f} s")
        for name, value in summary(local):
            print(f"   {name:<22} {value}")
        for d in dialects:
            sql = run([a.shardlint, "sql", "--dialect", "spark" if d == "spark" else d, "--shards", str(a.shards),
                       "--partition-key", template, "--table", "archive", "--time-column", "arrival_ms",
                       "--topic-column", "topic", "--clientid-column", "clientid"])
            label = d
            if d == "trino":
                sql, fixes = trino_to_duckdb(sql)
                label = "trino via sqlglot on duckdb"
                if fixes:
                    print(f"   (sqlglot: {fixes})")
            if d not in engines:
                engines[d] = Spark(files) if d == "spark" else DuckDB(files)
            t0 = time.time()
            rows = engines[d].rows(sql)
            took = time.time() - t0
            diffs = compare(local, from_rows(rows))
            fields = len(set(local) | set(from_rows(rows)))
            if diffs:
                failed += 1
                print(f"   {label:<30} {len(rows)} rows in {took:.1f} s: {len(diffs)} of {fields} fields DIFFER")
                for k, x, y in diffs:
                    print(f"      {k}: distribute {fmt(x)} | {d} {fmt(y)}")
            else:
                print(f"   {label:<30} {len(rows)} rows in {took:.1f} s: all {fields} fields agree")
    print()
    if failed:
        print(f"sql-check: {failed} engine run(s) disagree with distribute --samples")
        return 1
    print("sql-check: every engine agrees with distribute --samples on every field")
    return 0


if __name__ == "__main__":
    sys.exit(main())
