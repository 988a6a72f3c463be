#!/usr/bin/env bash
# Re-creates the ten defects of issue 12 ("never abort, never explode") from their descriptions
# and prints, for each, the exit code, wall time, peak RSS, whether the seed fixture checked
# beside it keeps its three findings (SL101, SL301, SL302), and the diagnostic. Figures, not a
# pass/fail test: the acceptance bound is under 10 s and under 500 MB per case. Release build.
# Large inputs (10 GiB of zeros gzipped, a 50 MB line) are generated once under $BLOWUPS_DIR
# (default /tmp/shardlint-blowups). Needs python3 and GNU time (/usr/bin/time).
# Usage: scripts/blowups.sh [CASE-PREFIX]    e.g. `scripts/blowups.sh 4` runs defect 4 only
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ONLY=${1:-}
cargo build --release --quiet || exit 1
BIN=$ROOT/target/release/shardlint
WORK=${BLOWUPS_DIR:-/tmp/shardlint-blowups}
mkdir -p "$WORK"
SEED=$ROOT/fixtures/tf-seed-hot-shard/main.tf

# A fresh case directory with `seed/main.tf` beside whatever the case adds.
case_dir() {
    local d=$WORK/case-$1
    rm -rf "$d"
    mkdir -p "$d/seed"
    cp "$SEED" "$d/seed/main.tf"
    echo "$d"
}

# Seed findings and the first input error of a JSON report on stdin.
summarize() {
    python3 -c '
import json, sys
try:
    v = json.load(sys.stdin)
except Exception:
    print("-\t(no JSON report)"); sys.exit()
codes = sorted({f["code"] for f in v["findings"] if f["file"].endswith("seed/main.tf")})
seed = "yes" if {"SL101", "SL301", "SL302"} <= set(codes) else "NO " + ",".join(codes)
errs = v["errors"]
if errs:
    e = errs[0]
    at = ":%s:%s" % (e["line"], e["column"]) if e.get("line") else ""
    diag = "%s%s: %s" % (e["file"], at, e["message"])
else:
    diag = "%d findings" % len(v["findings"])
print(seed + "\t" + diag.replace("\n", " ")[:150])
'
}

printf '%-34s %4s %7s %8s %5s  %s\n' case exit seconds "peak MB" seed diagnostic
# run NAME DIR -- COMMAND...: times the command (stdout to $DIR/out, stderr to $DIR/err); the
# seed column comes from a JSON check of DIR when DIR has a seed, else "-".
run() {
    local name=$1 dir=$2
    shift 3
    [[ -n "$ONLY" && "$name" != "$ONLY"* ]] && return
    (cd "$dir" && /usr/bin/time -o "$dir/time" -f '%e %M' "$@" >"$dir/out" 2>"$dir/err")
    local rc=$? secs kb
    read -r secs kb < <(tail -1 "$dir/time")
    local seed diag
    if head -c 1 "$dir/out" | grep -q '{' && python3 -c 'import json,sys; json.load(open(sys.argv[1]))["findings"]' "$dir/out" 2>/dev/null; then
        IFS=$'\t' read -r seed diag < <(summarize <"$dir/out")
    elif [[ -d "$dir/seed" ]]; then
        IFS=$'\t' read -r seed _ < <(cd "$dir" && "$BIN" check . --format json --no-progress 2>/dev/null | summarize)
        diag=$(grep -v '^$' "$dir/err" | head -1)
        [[ -z "$diag" ]] && diag=$(grep -E '×|error|skipped|line' "$dir/out" | head -1 | sed 's/^ *//')
    else
        seed="-"
        diag=$(grep -v '^$' "$dir/err" | head -1)
        [[ -z "$diag" ]] && diag=$(grep -E '×' "$dir/out" | head -1 | sed 's/^ *//')
    fi
    printf '%-34s %4s %7s %8s %5s  %s\n' "$name" "$rc" "$secs" "$((kb / 1024))" "$seed" "${diag:0:150}"
}

# --- 1. Terraform evaluation without memoization or budget ---------------------------------
d=$(case_dir 1a)
mkdir "$d/bad"
python3 - "$d/bad/main.tf" <<'EOF'
import sys
n = 5
s = 'locals {\n  a0 = "vvvvvvvvvv"\n'
for i in range(1, n):
    s += f'  a{i} = replace(local.a{i-1}, "v", local.a{i-1})\n'
s += '}\n'
s += f'resource "aws_iot_topic_rule" "r" {{\n  name = "r"\n  enabled = true\n  sql = "SELECT * FROM \'a\'"\n  sql_version = "2016-03-23"\n  kinesis {{\n    stream_name = "s"\n    partition_key = local.a{n-1}\n    role_arn = "arn"\n  }}\n}}\n'
open(sys.argv[1], "w").write(s)
EOF
run "1a replace() chain, 5 locals" "$d" -- "$BIN" check . --format json
d=$(case_dir 1b)
mkdir "$d/bad"
python3 - "$d/bad/main.tf" <<'EOF'
import sys
s = 'locals {\n  a0 = "x"\n'
for i in range(1, 23):
    s += f'  a{i} = "${{local.a{i-1}}}${{local.a{i-1}}}"\n'
s += '}\nresource "aws_kinesis_stream" "s" {\n  name = local.a22\n  shard_count = 1\n}\n'
open(sys.argv[1], "w").write(s)
EOF
run "1b 22 doubling locals" "$d" -- "$BIN" check . --format json

# --- 2. Stack overflows in recursion --------------------------------------------------------
chain() { # chain FILE N [CYCLE]
    python3 - "$@" <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
cycle = len(sys.argv) > 3
s = 'locals {\n'
s += (f'  a0 = local.a{n-1}\n' if cycle else '  a0 = "k"\n')
for i in range(1, n):
    s += f'  a{i} = local.a{i-1}\n'
s += '}\n'
s += f'resource "aws_kinesis_stream" "s" {{\n  name = local.a{n-1}\n  shard_count = 1\n}}\n'
open(path, "w").write(s)
EOF
}
d=$(case_dir 2a)
mkdir "$d/bad" && chain "$d/bad/main.tf" 4000
run "2a 4,000 chained locals" "$d" -- "$BIN" check . --format json
d=$(case_dir 2b)
for m in m1 m2 m3; do mkdir "$d/$m" && chain "$d/$m/main.tf" 1000; done
run "2b 1,000 chained x 3 modules" "$d" -- "$BIN" check seed m1 m2 m3 --format json
d=$(case_dir 2c)
mkdir "$d/bad" && chain "$d/bad/main.tf" 5000 cycle
run "2c cycle of 5,000 locals" "$d" -- "$BIN" check . --format json
d=$(case_dir 2d)
mkdir "$d/bad"
python3 - "$d/bad/main.tf" <<'EOF'
import sys
key = "$${" + "+".join(["vin"] * 40000) + "}"
s = f'resource "aws_iot_topic_rule" "r" {{\n  name = "r"\n  enabled = true\n  sql = "SELECT * FROM \'a\'"\n  sql_version = "2016-03-23"\n  kinesis {{\n    stream_name = "s"\n    partition_key = "{key}"\n    role_arn = "arn"\n  }}\n}}\n'
open(sys.argv[1], "w").write(s)
EOF
run "2d key \${vin+vin+...} 40,000 terms" "$d" -- "$BIN" check . --format json
d=$(case_dir 2e)
python3 -c 'print("${" + "+".join(["vin"] * 10000) + "}", end="")' >"$d/key.txt"
printf '{"vin": "a"}\n{"vin": "b"}\n' >"$d/p.jsonl"
run "2e distribute 10,000-term key" "$d" -- sh -c "'$BIN' distribute --samples p.jsonl --shards 4 --partition-key \"\$(cat key.txt)\""

# --- 3. YAML alias amplification ------------------------------------------------------------
d=$(case_dir 3)
python3 - "$d/bomb.yaml" <<'EOF'
import sys
s = 'AWSTemplateFormatVersion: "2010-09-09"\nMetadata:\n  Big: &big "' + "x" * 100_000 + '"\n  List:\n'
s += "    - *big\n" * 90_000
s += "Resources: {}\n"
open(sys.argv[1], "w").write(s)
EOF
run "3  YAML aliases, 1 MB file" "$d" -- "$BIN" check . --format json

# --- 4. A sample line is buffered whole -----------------------------------------------------
ZEROS=$WORK/zeros-10g.gz
if [[ ! -s $ZEROS ]]; then
    # 160 gzip members of 64 MiB of zeros each: 10 GiB once decompressed.
    python3 - "$ZEROS" <<'EOF'
import gzip, sys
member = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
with open(sys.argv[1], "wb") as f:
    for _ in range(160):
        f.write(member)
EOF
fi
LONG=$WORK/line-1g.gz
if [[ ! -s $LONG ]]; then
    python3 - "$LONG" <<'EOF'
import gzip, sys
with gzip.open(sys.argv[1], "wb", compresslevel=1) as f:
    f.write(b'{"vin": "A"}\n')
    chunk = b"a" * (1 << 20)
    for _ in range(1024):
        f.write(chunk)
    f.write(b'\n{"vin": "B"}\n')
EOF
fi
d=$(case_dir 4a)
run "4a distribute 10 GiB zeros .gz" "$d" -- "$BIN" distribute --keys "$ZEROS" --shards 4
d=$(case_dir 4b)
run "4b check --samples 10 GiB zeros" "$d" -- "$BIN" check seed --samples "$ZEROS" --format json --no-progress
d=$(case_dir 4c)
run "4c check --samples 1 GiB line" "$d" -- "$BIN" check seed --samples "$LONG" --format json --no-progress
d=$(case_dir 4d)
python3 - "$d/keys.gz" <<'EOF'
import gzip, sys
data = gzip.compress(b"".join(b"key-%d\n" % i for i in range(1_000_000)))
open(sys.argv[1], "wb").write(data[:-100])
EOF
run "4d truncated .gz (1M keys)" "$d" -- "$BIN" distribute --keys keys.gz --shards 4 --format json
[[ -z "$ONLY" || "4d" == "$ONLY"* ]] && python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
print("   truncated .gz: %s of 1,000,000 keys counted" % format(v["input"]["records"], ","))' "$d/out"

# --- 5. distribute --shards huge ------------------------------------------------------------
d=$(case_dir 5)
printf 'a\nb\n' >"$d/k.txt"
run "5a --shards 4294967295" "$d" -- "$BIN" distribute --keys k.txt --shards 4294967295
run "5b --shards 100000000" "$d" -- "$BIN" distribute --keys k.txt --shards 100000000
run "5c --shards 100000 (the maximum)" "$d" -- "$BIN" distribute --keys k.txt --shards 100000

# --- 6. Symlinks in single-file mode --------------------------------------------------------
d=$(case_dir 6)
ln -s /proc/self/environ "$d/seed/env.tf"
run "6  sibling env.tf -> environ" "$d" -- "$BIN" check seed/main.tf --format json
if [[ -z "$ONLY" || "6" == "$ONLY"* ]]; then
    leaks=0
    for f in text json sarif github html; do
        (cd "$d" && "$BIN" check seed/main.tf --format "$f" 2>&1) | grep -q 'PATH=' && leaks=$((leaks + 1))
    done
    echo "   formats whose output holds the environment: $leaks of 5"
fi

# --- 7. Injection into workflow commands and terminals --------------------------------------
d=$(case_dir 7)
printf '"x\\n::error file=a.tf::forged\\u001b]0;pwned\\u0007" = 1\n' >"$d/shardlint.toml"
run "7a toml key under --format github" "$d" -- "$BIN" check . --format github
[[ -z "$ONLY" || "7" == "$ONLY"* ]] && echo "   stderr lines starting a command: $(grep -c '^::' "$d/err") (one expected: ours); raw ESC bytes: $(grep -c $'\x1b' "$d/err")"
d=$(case_dir 7b)
rm "$d/shardlint.toml" 2>/dev/null
sed 's/# expect: SL101/# \x1b]0;pwned\x07\x1b[2J/' "$SEED" >"$d/seed/main.tf"
run "7b ESC in a snippet, text" "$d" -- "$BIN" check .
[[ -z "$ONLY" || "7" == "$ONLY"* ]] && echo "   raw ESC bytes in text output: $(grep -c $'\x1b' "$d/out")"

# --- 8. Silent skips and silent success -----------------------------------------------------
d=$(case_dir 8a)
mkdir "$d/mod" && cp "$SEED" "$d/mod/main.tf" && echo '*.tf' >"$d/.ignore"
run "8a parent .ignore hides *.tf" "$d/mod" -- "$BIN" check .
d=$(case_dir 8b)
mkdir "$d/empty"
run "8b path with nothing readable" "$d" -- "$BIN" check seed empty --format json
d=$(case_dir 8c)
mkfifo "$d/pipe.tf"
run "8c FIFO given" "$d" -- "$BIN" check seed pipe.tf --format json
d=$(case_dir 8d)
run "8d -o onto an input" "$d" -- "$BIN" check seed -o seed/main.tf
[[ -z "$ONLY" || "8" == "$ONLY"* ]] && { cmp -s "$SEED" "$d/seed/main.tf" && echo "   seed/main.tf unchanged" || echo "   seed/main.tf OVERWRITTEN"; }
d=$(case_dir 8e)
run "8e --select NOPE" "$d" -- "$BIN" check seed --select NOPE
d=$(case_dir 8f)
python3 - "$d/s.list-shards.json" <<'EOF'
import json, sys
h = (2**128 - 1) // 2
shard = lambda s, e: {"ShardId": "shardId-000000000000", "HashKeyRange": {"StartingHashKey": str(s), "EndingHashKey": str(e)}, "SequenceNumberRange": {"StartingSequenceNumber": "1"}}
json.dump({"Shards": [shard(0, h), shard(h + 1, 2**128 - 1)]}, open(sys.argv[1], "w"), indent=2)
EOF
run "8f duplicate ShardIds" "$d" -- "$BIN" check . --format json
[[ -z "$ONLY" || "8" == "$ONLY"* ]] && grep -o '"message": "shard map[^"]*more than once[^"]*"' "$d/out" | head -1 | sed 's/^/   /'
d=$(case_dir 8g)
printf 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n\tS:\n    Type: AWS::Kinesis::Stream\n' >"$d/tab.yaml"
run "8g YAML tab at column 1" "$d" -- "$BIN" check . --format json

# --- 9. Quadratic text output ---------------------------------------------------------------
d=$(case_dir 9)
python3 - "$d/list-event-source-mappings.json" <<'EOF'
import json, sys
esms = []
for i in range(5000):
    esms.append({
        "UUID": "00000000-0000-0000-0000-%012d" % i,
        "StartingPosition": "LATEST", "BatchSize": 100, "MaximumBatchingWindowInSeconds": 0,
        "ParallelizationFactor": 1,
        "EventSourceArn": "arn:aws:kinesis:us-east-1:123456789012:stream/stream-%d" % i,
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f-%d" % i,
        "State": "Enabled", "DestinationConfig": {"OnFailure": {}},
        "MaximumRecordAgeInSeconds": -1, "BisectBatchOnFunctionError": False,
        "MaximumRetryAttempts": -1, "TumblingWindowInSeconds": 0,
    })
json.dump({"EventSourceMappings": esms}, open(sys.argv[1], "w"), indent=4)
EOF
for f in text json github sarif html; do
    run "9  5,000 mappings --format $f" "$d" -- "$BIN" check . --format "$f" -o "report.$f"
done

# --- 10. SARIF size -------------------------------------------------------------------------
d=$(case_dir 10)
python3 - "$d/big.json" <<'EOF'
import json, sys
doc = {"Description": "d" * (50 << 20), "Resources": {
    "S": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 4}},
    "R": {"Type": "AWS::IoT::TopicRule", "Properties": {"TopicRulePayload": {"Sql": "SELECT * FROM 'a'",
        "Actions": [{"Kinesis": {"StreamName": {"Ref": "S"}, "PartitionKey": "vin", "RoleArn": "arn:aws:iam::1:role/r"}}]}}}}}
open(sys.argv[1], "w").write(json.dumps(doc))
EOF
run "10 50 MB one-line template, SARIF" "$d" -- "$BIN" check . --format sarif -o report.sarif
[[ -z "$ONLY" || "10" == "$ONLY"* ]] && echo "   SARIF: $(stat -c %s "$d/report.sarif" | python3 -c 'print(format(int(input()), ","))') bytes for a $(stat -c %s "$d/big.json" | python3 -c 'print(format(int(input()), ","))')-byte input"
exit 0
