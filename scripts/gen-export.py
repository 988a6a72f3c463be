#!/usr/bin/env python3
"""Writes a synthetic `shardlint export` of a large account, for the HTML report's size and
render-time checks (never committed: generate it, run `check --format html`, delete it).

    scripts/gen-export.py OUT [--streams 5000] [--hours 6] [--period 300] [--seed 1]

Account 123456789012, streams split over us-east-1 and eu-west-1, 1-8 shards each, with per-stream
CloudWatch series (IncomingRecords, IncomingBytes, WriteProvisionedThroughputExceeded,
GetRecords.IteratorAgeMilliseconds) over the window. Streams that give the report something to
say: `location-stream` (the seed: IoT rule keyed by the constant `vin`, 8 shards, throttled),
`clickstream-200` (200 shards with shard-level metrics, three hot shards), about 2% throttled and
about 2% with a Lambda consumer whose IteratorAge grows. Deterministic for a given --seed."""
import argparse, json, os, random

ACCOUNT = "123456789012"
REGIONS = ["us-east-1", "eu-west-1"]
M = 2**128


def put(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))


def shard_list(n):
    return {"Shards": [{
        "ShardId": f"shardId-{i:012d}",
        "HashKeyRange": {"StartingHashKey": str(M * i // n), "EndingHashKey": str(M * (i + 1) // n - 1)},
        "SequenceNumberRange": {"StartingSequenceNumber": str(49600000000000000000000000000000000000000000000000000000 + i)},
    } for i in range(n)]}


def summary(region, name, n, shard_metrics):
    return {"StreamDescriptionSummary": {
        "StreamName": name,
        "StreamARN": f"arn:aws:kinesis:{region}:{ACCOUNT}:stream/{name}",
        "StreamStatus": "ACTIVE",
        "StreamModeDetails": {"StreamMode": "PROVISIONED"},
        "RetentionPeriodHours": 24,
        "StreamCreationTimestamp": "2026-03-15T00:00:00+00:00",
        "EnhancedMonitoring": [{"ShardLevelMetrics": shard_metrics}],
        "EncryptionType": "NONE",
        "OpenShardCount": n,
        "ConsumerCount": 0,
    }}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--streams", type=int, default=5000)
    ap.add_argument("--hours", type=float, default=6)
    ap.add_argument("--period", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    end = 1796083200  # 2026-12-01T00:00:00Z
    start = end - int(a.hours * 3600)
    ts = list(range(start, end, a.period))
    iso = [f"{t}" for t in ts]
    from datetime import datetime, timezone
    iso = [datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00") for t in ts]
    queries = {r: [] for r in REGIONS}
    mappings = {r: [] for r in REGIONS}

    def series(region, label, values):
        queries[region].append({"Id": f"m{len(queries[region])}", "Label": label, "Timestamps": iso,
                                "Values": [float(round(v)) for v in values], "StatusCode": "Complete"})

    for i in range(a.streams):
        region = REGIONS[i % 2]
        if i == 0:
            name, n = "location-stream", 8
        elif i == 1:
            name, n = "clickstream-200", 200
        else:
            name, n = f"stream-{i:04d}", rnd.choice([1, 1, 2, 2, 4, 4, 8])
        d = f"{a.out}/{region}/kinesis/{name}"
        shard_metrics = ["IncomingRecords"] if i == 1 else []
        put(f"{d}.describe-stream-summary.json", summary(region, name, n, shard_metrics))
        put(f"{d}.list-shards.json", shard_list(n))
        cap = n * 1000 * a.period
        throttled = i == 0 or rnd.random() < 0.02
        base = rnd.uniform(0.05, 0.6) * cap
        wave = [base * (1 + 0.3 * ((k % 24) / 24)) * rnd.uniform(0.9, 1.1) for k in range(len(ts))]
        if i == 0:
            wave = [1000 * a.period * (0.6 + 0.4 * ((k // 6) % 2)) for k in range(len(ts))]
        if i == 1:
            throttled = True
            wave = [0.5 * cap * rnd.uniform(0.9, 1.1) for _ in ts]
        rejected = [0.0] * len(ts)
        if throttled:
            for k in range(len(ts)):
                if i == 0 and wave[k] >= 1000 * a.period:
                    rejected[k] = 0.3 * wave[k]
                elif i == 1 and k % 3 == 0:
                    rejected[k] = 0.3 * 1000 * a.period
                elif i != 0 and rnd.random() < 0.3:
                    rejected[k] = rnd.uniform(0.01, 0.2) * cap
        series(region, f"kinesis-stream {region} {name} IncomingRecords Sum {a.period}", wave)
        series(region, f"kinesis-stream {region} {name} IncomingBytes Sum {a.period}", [w * 900 for w in wave])
        series(region, f"kinesis-stream {region} {name} WriteProvisionedThroughputExceeded Sum {a.period}", rejected)
        growing = i == 0 or rnd.random() < 0.02
        age = [2000 + (k * 45000 if growing else rnd.uniform(0, 800)) for k in range(len(ts))]
        series(region, f"kinesis-stream {region} {name} GetRecords.IteratorAgeMilliseconds Maximum {a.period}", age)
        if i == 1:
            # Three shards at their limit (1,000/s accepted, the rest rejected), the others even.
            hot = {17, 18, 140}
            for s in range(n):
                series(region, f"kinesis-shard {region} {name} shardId-{s:012d} IncomingRecords Sum {a.period}",
                       [(1000 * a.period * rnd.uniform(0.97, 1.0)) if s in hot
                        else (w - 3000 * a.period) / (n - 3) * rnd.uniform(0.85, 1.15) for w in wave])
        if i == 0 or rnd.random() < 0.3:
            fn = "location-writer" if i == 0 else f"consumer-{i:04d}"
            mappings[region].append({
                "UUID": f"00000000-0000-4000-8000-{i:012d}", "StartingPosition": "LATEST",
                "BatchSize": 100, "MaximumBatchingWindowInSeconds": 0, "ParallelizationFactor": 1,
                "EventSourceArn": f"arn:aws:kinesis:{region}:{ACCOUNT}:stream/{name}",
                "FunctionArn": f"arn:aws:lambda:{region}:{ACCOUNT}:function:{fn}",
                "State": "Enabled", "DestinationConfig": {"OnFailure": {"Destination": f"arn:aws:sqs:{region}:{ACCOUNT}:dlq"}},
                "MaximumRecordAgeInSeconds": 3600, "BisectBatchOnFunctionError": True,
                "MaximumRetryAttempts": 3, "TumblingWindowInSeconds": 0, "FunctionResponseTypes": []})
            put(f"{a.out}/{region}/lambda/{fn}.get-function-configuration.json", {
                "FunctionName": fn, "FunctionArn": f"arn:aws:lambda:{region}:{ACCOUNT}:function:{fn}",
                "Runtime": "python3.12", "Timeout": 60, "MemorySize": 256})
            series(region, f"lambda {region} {fn} IteratorAge Maximum {a.period}", age)
        if i == 0:
            put(f"{a.out}/{region}/iot/location_to_kinesis.get-topic-rule.json", {
                "ruleArn": f"arn:aws:iot:{region}:{ACCOUNT}:rule/location_to_kinesis",
                "rule": {"ruleName": "location_to_kinesis", "sql": "SELECT * FROM 'vehicles/location'",
                         "actions": [{"kinesis": {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/iot", "streamName": name,
                                                  "partitionKey": "vin"}}],
                         "ruleDisabled": False, "awsIotSqlVersion": "2016-03-23"}})
    for r in REGIONS:
        put(f"{a.out}/{r}/lambda/list-event-source-mappings.json", {"EventSourceMappings": mappings[r]})
        q = queries[r]
        for b in range(0, len(q), 500):
            put(f"{a.out}/{r}/metrics/batch-{b // 500 + 1:04d}.get-metric-data.json",
                {"MetricDataResults": q[b:b + 500], "Messages": []})
    z = lambda t: datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(f"{a.out}/manifest.json", "w") as f:
        json.dump({"version": 1, "tool": "scripts/gen-export.py (synthetic)", "account": ACCOUNT,
                   "regions": REGIONS, "exported_at": z(end + 60), "window": {"start": z(start), "end": z(end), "period_s": a.period},
                   "aws_cli_version": "aws-cli/2.22.35 (synthetic export)", "profile": None, "sampling": None,
                   "failures": [{"kind": "access-denied", "call": "aws iot get-topic-rule --rule-name audit_to_kinesis",
                                 "region": "us-east-1", "attempts": 1, "message": "AccessDeniedException"}],
                   "counts": {"streams": a.streams}}, f, indent=2)


if __name__ == "__main__":
    main()
