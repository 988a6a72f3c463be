#!/usr/bin/env python3
"""Writes responses/ for the fake `aws` (tests/fake-aws/aws): account 123456789012 with the seed
pipeline (IoT rule keyed by the bare word `vin` into the 8-shard `location-stream`, throttled on
write, IteratorAge growing) and a quiet `audit-stream`. One AccessDenied (iot get-topic-rule
audit_to_kinesis) and one persistent throttling error (kinesis describe-stream-summary
audit-stream). Deterministic: re-run after changing it and read the diff."""
import json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "responses")
R = "ap-northeast-1"
ACCOUNT = "123456789012"
MAX = 2**128 - 1


def put(path, obj, indent=4):
    path = os.path.join(OUT, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        if isinstance(obj, str):
            f.write(obj)
        else:
            json.dump(obj, f, indent=indent)
            f.write("\n")


def shards(n):
    out = []
    for i in range(n):
        lo = MAX * i // n + (1 if i else 0) if False else (2**128 * i) // n
        hi = (2**128 * (i + 1)) // n - 1
        out.append({
            "ShardId": f"shardId-{i:012d}",
            "HashKeyRange": {"StartingHashKey": str(lo), "EndingHashKey": str(hi)},
            "SequenceNumberRange": {"StartingSequenceNumber": str(49639122931372581139958633209378946227302426357138456578 + i)},
        })
    return {"Shards": shards_fix(out)}


def shards_fix(s):
    return s


def summary(name, n, metrics):
    return {"StreamDescriptionSummary": {
        "StreamName": name,
        "StreamARN": f"arn:aws:kinesis:{R}:{ACCOUNT}:stream/{name}",
        "StreamStatus": "ACTIVE",
        "StreamModeDetails": {"StreamMode": "PROVISIONED"},
        "RetentionPeriodHours": 24,
        "StreamCreationTimestamp": "2026-03-15T00:00:00+00:00",
        "EnhancedMonitoring": [{"ShardLevelMetrics": metrics}],
        "EncryptionType": "NONE",
        "OpenShardCount": n,
        "ConsumerCount": 0,
    }}


def rule(name, stream, key):
    return {"ruleArn": f"arn:aws:iot:{R}:{ACCOUNT}:rule/{name}", "rule": {
        "ruleName": name,
        "sql": "SELECT * FROM 'vehicles/location'",
        "description": "",
        "createdAt": "2026-03-15T00:00:00+00:00",
        "actions": [{"kinesis": {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/iot-kinesis",
                                 "streamName": stream, "partitionKey": key}}],
        "ruleDisabled": False,
        "awsIotSqlVersion": "2016-03-23",
    }}


def mapping(uuid, stream, fn):
    return {
        "UUID": uuid, "StartingPosition": "LATEST", "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 15, "ParallelizationFactor": 1,
        "EventSourceArn": f"arn:aws:kinesis:{R}:{ACCOUNT}:stream/{stream}",
        "FunctionArn": f"arn:aws:lambda:{R}:{ACCOUNT}:function:{fn}",
        "State": "Enabled", "DestinationConfig": {"OnFailure": {}},
        "MaximumRecordAgeInSeconds": 3600, "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": 3, "TumblingWindowInSeconds": 0, "FunctionResponseTypes": [],
    }


def function(name, qualifier=None):
    arn = f"arn:aws:lambda:{R}:{ACCOUNT}:function:{name}" + (f":{qualifier}" if qualifier else "")
    return {"FunctionName": name, "FunctionArn": arn, "Runtime": "nodejs20.x",
            "Role": f"arn:aws:iam::{ACCOUNT}:role/lambda", "Handler": "index.handler",
            "Timeout": 60, "MemorySize": 256, "Version": "$LATEST" if not qualifier else "7"}


shutil.rmtree(OUT, ignore_errors=True)
put("global/sts/get-caller-identity.json", {"UserId": "AIDAFAKE", "Account": ACCOUNT,
    "Arn": f"arn:aws:iam::{ACCOUNT}:user/auditor"})
put("global/ec2/describe-regions.json", {"Regions": [
    {"Endpoint": f"ec2.{r}.amazonaws.com", "RegionName": r, "OptInStatus": "opt-in-not-required"}
    for r in [R, "us-east-1"]]})
for svc, op, body in [("kinesis", "list-streams", {"StreamNames": []}), ("iot", "list-topic-rules", {"rules": []}),
                      ("lambda", "list-event-source-mappings", {"EventSourceMappings": []}),
                      ("events", "list-event-buses", {"EventBuses": []}), ("pipes", "list-pipes", {"Pipes": []}),
                      ("apigateway", "get-rest-apis", {"items": []}), ("apigatewayv2", "get-apis", {"Items": []})]:
    put(f"us-east-1/{svc}/{op}.json", body)

streams = {"location-stream": 8, "audit-stream": 2}
put(f"{R}/kinesis/list-streams.json", {"StreamNames": sorted(streams), "HasMoreStreams": False})
put(f"{R}/kinesis/describe-stream-summary.location-stream.json",
    summary("location-stream", 8, ["IncomingBytes", "IncomingRecords", "WriteProvisionedThroughputExceeded"]))
put(f"{R}/kinesis/describe-stream-summary.audit-stream.error",
    "\nAn error occurred (ThrottlingException) when calling the DescribeStreamSummary operation (reached max retries: 2): Rate exceeded for stream audit-stream under account 123456789012.\n")
for name, n in streams.items():
    put(f"{R}/kinesis/list-shards.{name}.json", shards(n))
    for i in range(n):
        sid = f"shardId-{i:012d}"
        put(f"{R}/kinesis/get-shard-iterator.{name}.{sid}.json", {"ShardIterator": f"{name}.{sid}"})

# Sampled records: the seed's key on its shard, one per 50 ms from the window's start.
T0 = 1796076000  # 2026-12-01T... fixed; only relative times matter
recs = [{"SequenceNumber": str(49639122931372581139958633209378946227302426357138456578 + i),
         "ApproximateArrivalTimestamp": f"2026-11-30T22:00:{(i // 20):02d}.{(i % 20) * 50:03d}000+00:00",
         "Data": "eyJ2aW4iOiJWSU4tMDAwMDEifQ==", "PartitionKey": "vin"} for i in range(100)]
put(f"{R}/kinesis/get-records.location-stream.shardId-000000000003.json",
    {"Records": recs, "NextShardIterator": "end", "MillisBehindLatest": 0}, indent=None)

put(f"{R}/iot/list-topic-rules.json", {"rules": [
    {"ruleArn": f"arn:aws:iot:{R}:{ACCOUNT}:rule/{n}", "ruleName": n, "topicPattern": "vehicles/location",
     "createdAt": "2026-03-15T00:00:00+00:00", "ruleDisabled": False}
    for n in ["audit_to_kinesis", "location_to_kinesis"]]})
put(f"{R}/iot/get-topic-rule.location_to_kinesis.json", rule("location_to_kinesis", "location-stream", "vin"))
put(f"{R}/iot/get-topic-rule.audit_to_kinesis.error",
    "\nAn error occurred (AccessDeniedException) when calling the GetTopicRule operation: User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: iot:GetTopicRule on resource: arn:aws:iot:ap-northeast-1:123456789012:rule/audit_to_kinesis\n")

put(f"{R}/lambda/list-event-source-mappings.json", {"EventSourceMappings": [
    mapping("2b0e7c6e-4d3a-4a6c-9a55-0d3f5e1c7a10", "location-stream", "location-writer"),
    mapping("5f1d2c3b-0a9e-4f8d-8c7b-6a5e4d3c2b1a", "location-stream", "location-writer:live"),
    mapping("9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", "audit-stream", "audit-writer"),
]})
put(f"{R}/lambda/get-function-configuration.location-writer.json", function("location-writer"))
put(f"{R}/lambda/get-function-configuration.location-writer@live.json", function("location-writer", "live"))
put(f"{R}/lambda/get-function-configuration.audit-writer.json", function("audit-writer"))

put(f"{R}/events/list-event-buses.json", {"EventBuses": [{"Name": "default", "Arn": f"arn:aws:events:{R}:{ACCOUNT}:event-bus/default"}]})
put(f"{R}/events/list-rules.default.json", {"Rules": [{"Name": "telemetry-to-kinesis", "EventBusName": "default", "State": "ENABLED",
    "EventPattern": "{\"source\":[\"vehicles\"]}"}]})
put(f"{R}/events/list-targets-by-rule.default.telemetry-to-kinesis.json", {"Targets": [{
    "Id": "kinesis", "Arn": f"arn:aws:kinesis:{R}:{ACCOUNT}:stream/audit-stream",
    "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/events-kinesis",
    "KinesisParameters": {"PartitionKeyPath": "$.detail.vin"}}]})
put(f"{R}/pipes/list-pipes.json", {"Pipes": [
    {"Name": "orders-pipe", "Source": f"arn:aws:sqs:{R}:{ACCOUNT}:orders",
     "Target": f"arn:aws:kinesis:{R}:{ACCOUNT}:stream/audit-stream", "CurrentState": "RUNNING"},
    {"Name": "logs-pipe", "Source": f"arn:aws:sqs:{R}:{ACCOUNT}:logs",
     "Target": f"arn:aws:lambda:{R}:{ACCOUNT}:function:audit-writer", "CurrentState": "RUNNING"}]})
put(f"{R}/pipes/describe-pipe.orders-pipe.json", {
    "Name": "orders-pipe", "Source": f"arn:aws:sqs:{R}:{ACCOUNT}:orders",
    "Target": f"arn:aws:kinesis:{R}:{ACCOUNT}:stream/audit-stream", "CurrentState": "RUNNING",
    "TargetParameters": {"KinesisStreamParameters": {"PartitionKey": "$.body.orderId"}}})
put(f"{R}/apigateway/get-rest-apis.json", {"items": [{"id": "a1b2c3d4e5", "name": "ingest"}]})
put(f"{R}/apigateway/get-resources.a1b2c3d4e5.json", {"items": [{"id": "r1", "path": "/records", "resourceMethods": {"PUT": {
    "httpMethod": "PUT", "methodIntegration": {"type": "AWS", "httpMethod": "POST",
        "uri": f"arn:aws:apigateway:{R}:kinesis:action/PutRecord",
        "requestTemplates": {"application/json": "{\"StreamName\":\"audit-stream\",\"Data\":\"$util.base64Encode($input.body)\",\"PartitionKey\":\"$input.path('$.id')\"}"}}}}}]})
put(f"{R}/apigatewayv2/get-apis.json", {"Items": []})

# Metrics over half an hour (22:00..22:30), 1-minute periods, as the export labels them.
N = 30
minutes = [f"2026-11-30T22:{m:02d}:00+00:00" for m in range(N)]
results = []


def series(label, values):
    results.append({"Id": f"m{len(results)}", "Label": label, "Timestamps": minutes,
                    "Values": [float(v) for v in values], "StatusCode": "Complete"})


# Offered load on the seed stream: 700..1,300 records/s in waves; everything lands on shard 3,
# which accepts at most 1,000 records/s and throttles the rest.
offered = [1000 + 300 * ((m * 7) % 13 - 6) / 6 for m in range(N)]
accepted = [min(o, 1000) * 60 for o in offered]
throttled = [max(o - 1000, 0) * 60 for o in offered]
p = "kinesis-stream ap-northeast-1 location-stream"
series(f"{p} IncomingRecords Sum 60", accepted)
series(f"{p} IncomingBytes Sum 60", [a * 180 for a in accepted])
series(f"{p} WriteProvisionedThroughputExceeded Sum 60", throttled)
series(f"{p} ReadProvisionedThroughputExceeded Sum 60", [0] * N)
series(f"{p} GetRecords.IteratorAgeMilliseconds Maximum 60", [2000 + m * 60000 for m in range(N)])
for i in range(8):
    sp = f"kinesis-shard ap-northeast-1 location-stream shardId-{i:012d}"
    on = i == 3
    series(f"{sp} IncomingRecords Sum 60", accepted if on else [0] * N)
    series(f"{sp} IncomingBytes Sum 60", [a * 180 for a in accepted] if on else [0] * N)
    series(f"{sp} WriteProvisionedThroughputExceeded Sum 60", throttled if on else [0] * N)
p = "kinesis-stream ap-northeast-1 audit-stream"
series(f"{p} IncomingRecords Sum 60", [24000 + (m % 5) * 300 for m in range(N)])
series(f"{p} IncomingBytes Sum 60", [24000 * 400] * N)
series(f"{p} WriteProvisionedThroughputExceeded Sum 60", [0] * N)
series(f"{p} ReadProvisionedThroughputExceeded Sum 60", [0] * N)
series(f"{p} GetRecords.IteratorAgeMilliseconds Maximum 60", [400 + (m % 3) * 100 for m in range(N)])
series("lambda ap-northeast-1 audit-writer IteratorAge Maximum 60", [400 + (m % 3) * 100 for m in range(N)])
series("lambda ap-northeast-1 location-writer IteratorAge Maximum 60", [2000 + m * 60000 for m in range(N)])
series("lambda ap-northeast-1 location-writer:live IteratorAge Maximum 60", [0] * N)
put(f"{R}/cloudwatch/get-metric-data.json", {"MetricDataResults": results, "Messages": []})
