#!/usr/bin/env python3
"""One-run comparison of the distribution engine (figures, not a pass/fail test).

Runs shardlint, a previous shardlint binary (PREV=path, optional), a plain Python hashlib script
and DuckDB (when the `duckdb` wheel is installed) on the same generated files, interleaved (one
untimed warm-up run of each, then round-robin ROUNDS times, each round starting at the next
tool), each in its own process, and prints the median wall time, keys/s, the ratio to shardlint
measured in the same run, and the peak RSS of each process. One case runs shardlint alone on the
realistic worst cases (1 M and 10 M distinct keys, 100,000 shards) interleaved with the
1 k-distinct, 64-shard input, so their ratios to it are measured side by side (at least 5
rounds).

Usage: scripts/bench.py SHARDLINT DATA_DIR [--quick] [--only CASE,...]
(`--only "1k distinct, 64 shards"`: a part of one case name, commas and all, selects that case.)
DATA_DIR comes from scripts/bench-data.py. Environment: PREV, ROUNDS (default 3).
"""
import os, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))

# Python hashlib: the per-shard counts for an even map of N shards (bisect on the starts).
PY_KEYS = r'''
import bisect, hashlib, sys
n = int(sys.argv[2]); w = 2**128 // n
starts = [i * w for i in range(n)]
counts = [0] * n
md5 = hashlib.md5
with open(sys.argv[1], "rb") as f:
    for line in f:
        k = line.rstrip(b"\n")
        if k:
            counts[bisect.bisect_right(starts, int.from_bytes(md5(k).digest(), "big")) - 1] += 1
print(max(counts))
'''

PY_ENVELOPES = r'''
import bisect, hashlib, json, sys
n = int(sys.argv[2]); w = 2**128 // n
starts = [i * w for i in range(n)]
counts = [0] * n
md5 = hashlib.md5
loads = json.loads
with open(sys.argv[1], "rb") as f:
    for line in f:
        k = loads(line)["payload"]["list"][0]["vin"].encode()
        counts[bisect.bisect_right(starts, int.from_bytes(md5(k).digest(), "big")) - 1] += 1
print(max(counts))
'''

# DuckDB: shard = floor(top 64 bits of the MD5 / (2^64 / n)): the even map to within 2^-64.
DUCK = r'''
import duckdb, sys
kind, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
con.execute("SET threads TO %d" % int(sys.argv[4]))
bucket = "(('0x' || substr(md5(k), 1, 16))::UBIGINT // (18446744073709551615 // %d + 1))" % n
if kind == "keys":
    src = "(SELECT column0 AS k FROM read_csv('%s', header=false, columns={'column0': 'VARCHAR'}, delim=chr(1), quote='', escape=''))" % path
elif kind == "read_json":
    src = "(SELECT payload.list[1].vin AS k FROM read_json('%s', format='newline_delimited', columns={'payload': 'STRUCT(list STRUCT(vin VARCHAR)[])'}))" % path
else:  # json_extract_string on each line as text
    src = "(SELECT json_extract_string(column0, '$.payload.list[0].vin') AS k FROM read_csv('%s', header=false, columns={'column0': 'VARCHAR'}, delim=chr(1), quote='', escape=''))" % path
rows = con.execute("SELECT %s AS s, count(*) FROM %s GROUP BY s" % (bucket, src)).fetchall()
print(max(c for _, c in rows))
'''


def run(cmd, env=None):
    """Wall seconds and peak RSS (MB) of one process."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit("failed: %s\n%s" % (" ".join(cmd), err[-2000:]))
    return wall, ru.ru_maxrss / 1024


def have_duckdb():
    return subprocess.run([sys.executable, "-c", "import duckdb"], capture_output=True).returncode == 0


def main():
    sl, data = sys.argv[1], sys.argv[2]
    quick = "--quick" in sys.argv
    only = None
    if "--only" in sys.argv:
        only = sys.argv[sys.argv.index("--only") + 1]
    rounds = int(os.environ.get("ROUNDS", "3"))
    prev = os.environ.get("PREV")
    duck = have_duckdb()
    threads = os.cpu_count() or 1
    f = lambda name: os.path.join(data, name)
    tmpl = "${get(get(list, 0), 'vin')}"

    def sl_cmd(binary, *args):
        return [binary, "distribute", "--no-progress", *args]

    def env_threads(n):
        e = dict(os.environ)
        e["RAYON_NUM_THREADS"] = str(n)
        return e

    # (case, records, [(tool, cmd, env)])
    cases = []
    for distinct in ["1k", "1m", "10m"]:
        keys = f("keys-%s.txt" % distinct)
        tools = [("shardlint", sl_cmd(sl, "--keys", keys, "--shards", "64"), None)]
        if prev:
            tools.append(("previous", sl_cmd(prev, "--keys", keys, "--shards", "64"), None))
        if duck:
            tools.append(("duckdb", [sys.executable, "-c", DUCK, "keys", keys, "64", str(threads)], None))
        if distinct == "1k" and not quick:
            tools.append(("python hashlib", [sys.executable, "-c", PY_KEYS, keys, "64"], None))
        cases.append(("10M keys, %s distinct, 64 shards" % distinct, 10_000_000, tools))
    keys = f("keys-1k.txt")
    threads_case = "10M keys, 1k distinct, 64 shards, threads"
    cases.append((threads_case, 10_000_000, [
        ("shardlint 1 thread", sl_cmd(sl, "--keys", keys, "--shards", "64"), env_threads(1)),
        ("shardlint 2 threads", sl_cmd(sl, "--keys", keys, "--shards", "64"), env_threads(2)),
    ] + ([("duckdb 1 thread", [sys.executable, "-c", DUCK, "keys", keys, "64", "1"], None)] if duck else [])))
    for shards in ["8", "4096"]:
        tools = [("shardlint", sl_cmd(sl, "--keys", keys, "--shards", shards), None)]
        if prev:
            tools.append(("previous", sl_cmd(prev, "--keys", keys, "--shards", shards), None))
        if duck:
            tools.append(("duckdb", [sys.executable, "-c", DUCK, "keys", keys, shards, str(threads)], None))
        cases.append(("10M keys, 1k distinct, %s shards" % shards, 10_000_000, tools))
    tools = [("shardlint", sl_cmd(sl, "--keys", keys, "--shard-map", f("map-100000.json")), None)]
    if prev:
        tools.append(("previous", sl_cmd(prev, "--keys", keys, "--shard-map", f("map-100000.json")), None))
    cases.append(("10M keys, 1k distinct, 100,000 resharded shards", 10_000_000, tools))
    # The realistic worst cases against the 1 k, 64-shard figure in the same rounds: measured in
    # their own cases, minutes apart, their ratio followed the machine's speed (the previous
    # binary, with the same code for these inputs, moved the same way).
    side = "10M keys, worst cases side by side with 1k distinct, 64 shards"
    cases.append((side, 10_000_000, [
        ("1k distinct, 64 shards", sl_cmd(sl, "--keys", keys, "--shards", "64"), None),
        ("1m distinct, 64 shards", sl_cmd(sl, "--keys", f("keys-1m.txt"), "--shards", "64"), None),
        ("10m distinct, 64 shards", sl_cmd(sl, "--keys", f("keys-10m.txt"), "--shards", "64"), None),
        ("1k distinct, 100,000 shards", sl_cmd(sl, "--keys", keys, "--shard-map", f("map-100000.json")), None),
    ]))
    env = f("envelopes.jsonl")
    tools = [("shardlint", sl_cmd(sl, "--samples", env, "--partition-key", tmpl, "--shards", "64"), None),
             ("shardlint 1 thread", sl_cmd(sl, "--samples", env, "--partition-key", tmpl, "--shards", "64"), env_threads(1))]
    if prev:
        tools.append(("previous", sl_cmd(prev, "--samples", env, "--partition-key", tmpl, "--shards", "64"), None))
    if duck:
        tools.append(("duckdb read_json", [sys.executable, "-c", DUCK, "read_json", env, "64", str(threads)], None))
        tools.append(("duckdb json_extract_string", [sys.executable, "-c", DUCK, "extract", env, "64", str(threads)], None))
    if not quick:
        tools.append(("python json+hashlib", [sys.executable, "-c", PY_ENVELOPES, env, "64"], None))
    cases.append(("3M envelopes, ${get(get(list, 0), 'vin')}, 64 shards", 3_000_000, tools))

    # Case names hold commas: a whole argument that names part of a case selects that case,
    # else it is a comma-separated list of parts.
    if only is not None:
        only = [only] if any(only in name for name, _, _ in cases) else only.split(",")
    print("machine: %d cores, %s; load average before: %s" % (
        threads, cpu_name(), " ".join(open("/proc/loadavg").read().split()[:3])))
    print("MD5 backend: %s; %d interleaved rounds, median wall, peak RSS per process" % (md5_backend(sl), rounds))
    if not duck:
        print("(DuckDB not installed: `pip install duckdb` to compare)")
    for name, records, tools in cases:
        if only and not any(o in name for o in only):
            continue
        times = {t: [] for t, _, _ in tools}
        rss = {t: 0.0 for t, _, _ in tools}
        # Shardlint alone takes a few seconds a round here: more rounds for a steadier median.
        # The threads case gets as many: a neighbour on the host slows a 2-thread run more than
        # a 1-thread one (either core's stall delays the whole), and its ratio moved with it.
        case_rounds = max(rounds, 5) if name in (side, threads_case) else rounds
        # One untimed run of each tool first (as `hyperfine --warmup 1`): a file or binary left
        # alone for a minute may be out of the page cache (a VM's host can page out idle
        # memory: this project's bench machine dropped 565 MB of a 598 MB input within a
        # minute), and the round that read it from disk measured the disk.
        for _, cmd, e in tools:
            run(cmd, e)
        for r in range(case_rounds):
            # Each round starts at the next tool: the one run right after another case's
            # DuckDB (230 MB freed) or Python is not always the same.
            for t, cmd, e in tools[r % len(tools):] + tools[:r % len(tools)]:
                w, m = run(cmd, e)
                times[t].append(w)
                rss[t] = max(rss[t], m)
        # The header line says the run's round count; a case that ran more says its own.
        more = "" if case_rounds == rounds else ", %d rounds" % case_rounds
        print("\n%s  (load %s%s)" % (name, open("/proc/loadavg").read().split()[0], more))
        base = statistics.median(times[tools[0][0]])
        for t, _, _ in tools:
            med = statistics.median(times[t])
            print("  %-28s %7.2f s  %6.1f M rec/s  %5.2fx  %7.1f MB" % (
                t, med, records / med / 1e6, med / base, rss[t]))
        if name == threads_case:
            # The threads figure is a speed-up: the two-decimal ratios above leave it to 0.02.
            one, two = (statistics.median(times[t]) for t, _, _ in tools[:2])
            print("  2 threads: %.2fx the speed of 1" % (one / two))
    print("\nx = wall time relative to the first line of its case (higher = slower)")


def cpu_name():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def md5_backend(sl):
    out = subprocess.run([sl, "--version"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("md5: "):
            return line[5:]
    return "unknown"


if __name__ == "__main__":
    main()
