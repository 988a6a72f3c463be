#!/usr/bin/env python3
"""Generates the distribution benchmark's inputs (into a directory outside the repository).

keys-<distinct>.txt : 10 M keys, half vehicle ids (TEST-100001...) and half UUID-shaped, cycling
                      over <distinct> distinct keys (1k, 1M, 10M);
envelopes.jsonl     : 3 M seed-shaped MQTT envelopes (100,000 vehicles, payload.list[0].vin);
map-100000.json     : a resharded map of 100,000 open shards (uneven ranges, closed parents).
Usage: scripts/bench-data.py DIR [--keys N] [--envelopes N]
"""
import json, os, random, sys

def key(i):
    if i % 2 == 0:
        return "TEST-%d" % (100001 + i // 2)
    x = (i * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & (2**64 - 1)
    y = (x * 0xBF58476D1CE4E5B9) & (2**64 - 1)
    return "%08x-%04x-4%03x-a%03x-%012x" % (x >> 32, (x >> 16) & 0xFFFF, y >> 52, (y >> 40) & 0xFFF, y & 0xFFFFFFFFFFFF)

def main():
    out = sys.argv[1]
    n = int(sys.argv[sys.argv.index("--keys") + 1]) if "--keys" in sys.argv else 10_000_000
    ne = int(sys.argv[sys.argv.index("--envelopes") + 1]) if "--envelopes" in sys.argv else 3_000_000
    os.makedirs(out, exist_ok=True)
    for distinct, name in [(1000, "1k"), (1_000_000, "1m"), (n, "10m")]:
        path = os.path.join(out, "keys-%s.txt" % name)
        if os.path.exists(path):
            continue
        pool = [key(i) for i in range(min(distinct, n))]
        with open(path + ".tmp", "w") as f:
            step = 1_000_000
            for lo in range(0, n, step):
                f.write("\n".join(pool[i % len(pool)] for i in range(lo, min(n, lo + step))))
                f.write("\n")
        os.rename(path + ".tmp", path)
    path = os.path.join(out, "envelopes.jsonl")
    if not os.path.exists(path):
        with open(path + ".tmp", "w") as f:
            for lo in range(0, ne, 100_000):
                lines = []
                for i in range(lo, min(ne, lo + 100_000)):
                    v, m = i % 100_000, i // 100_000
                    vin = 100001 + v
                    ts = 1667264400000 + m * 60000 + v % 60000
                    lines.append('{"topic":"vehicles/TEST-%d/location","clientid":"TEST-%d","timestamp":%d,"payload":{"list":[{"vin":"TEST-%d","timestamp":"2022-11-01T%02d:%02d:00+09:00","lat":%.6f,"lon":%.6f}]}}'
                                 % (vin, vin, ts, vin, 10 + m // 60, m % 60, 35.0 + (v % 1000) / 1000, 139.0 + (v % 997) / 1000))
                f.write("\n".join(lines) + "\n")
        os.rename(path + ".tmp", path)
    path = os.path.join(out, "map-100000.json")
    if not os.path.exists(path):
        # 50,000 even parents, each split at a random point: 100,000 open children, uneven.
        rnd = random.Random(17)
        parents, w = 50_000, 2**128 // 50_000
        shards = []
        for p in range(parents):
            lo = p * w
            hi = 2**128 - 1 if p == parents - 1 else (p + 1) * w - 1
            cut = lo + rnd.randrange(1, hi - lo)
            pid = "shardId-%012d" % p
            shards.append({"ShardId": pid, "HashKeyRange": {"StartingHashKey": str(lo), "EndingHashKey": str(hi)},
                           "SequenceNumberRange": {"StartingSequenceNumber": "1", "EndingSequenceNumber": "2"}})
            for j, (a, b) in enumerate([(lo, cut - 1), (cut, hi)]):
                shards.append({"ShardId": "shardId-%012d" % (parents + 2 * p + j), "ParentShardId": pid,
                               "HashKeyRange": {"StartingHashKey": str(a), "EndingHashKey": str(b)},
                               "SequenceNumberRange": {"StartingSequenceNumber": "3"}})
        with open(path, "w") as f:
            json.dump({"Shards": shards}, f)

if __name__ == "__main__":
    main()
