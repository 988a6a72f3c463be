#!/usr/bin/env python3
"""Writes a Firehose archive of seed report 002's load test (shared/seeds/002): VEHICLES vehicles
(TEST-100001..) each publishing {"list":[{"vin":..,"timestamp":..,"lat":..,"lon":..}]} once a
minute on vehicles/<vin>/location, archived to S3 by an IoT rule such as

    SELECT *, topic() AS topic, clientid() AS clientid, timestamp() AS arrival_ms
    FROM 'vehicles/+/location'

with a Firehose action (separator "\\n"): one JSON object per line, the message's members plus
the three metadata members, in objects under the UTC hour prefix Firehose writes
(OUT/2022/11/01/01/location-archive-1-2022-11-01-01-MM-00-<seed>), one object per minute.

Default: 100,000 vehicles x 10 minutes = 1,000,000 records. Deterministic for a given --seed: the
arrival jitter (0-999 ms within a vehicle's slot) and the messages whose `list` is empty (IoT's
Undefined for get(get(list, 0), 'vin'); one in 997) come from it. So that top keys and per-second
peaks are more than ties, the first 12 vehicles each retry their minute-5 message in a storm
(vehicle k: 50*k copies within 400 ms), and as many messages of the last vehicles' final minute
never arrive: the total stays vehicles x minutes.

Generated, never committed: write it under /tmp.

usage: scripts/gen-archive.py OUT_DIR [--vehicles 100000] [--minutes 10] [--seed 2]
"""
import argparse
import json
import os
import random

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("out")
p.add_argument("--vehicles", type=int, default=100_000)
p.add_argument("--minutes", type=int, default=10)
p.add_argument("--seed", type=int, default=2)
a = p.parse_args()

rng = random.Random(a.seed)
start_ms = 1_667_264_400_000  # 2022-11-01T10:00:00+09:00 = 01:00 UTC
prefix = os.path.join(a.out, "2022", "11", "01", "01")
os.makedirs(prefix, exist_ok=True)
STORM_MINUTE = min(5, a.minutes - 1)
# Small archives (quick tries) have no storms: they would displace most of the last minute.
storms = {i: 50 * (i + 1) for i in range(12)} if a.vehicles >= 20_000 and a.minutes >= 2 else {}
dropped = sum(storms.values())
total = 0
for minute in range(a.minutes):
    name = f"location-archive-1-2022-11-01-01-{minute:02d}-00-{a.seed:08x}"
    rows = []
    for i in range(a.vehicles):
        vin = f"TEST-{100_001 + i}"
        # Each vehicle has its slot in the minute (as the load test spread them), plus jitter.
        at = start_ms + minute * 60_000 + (i * 60_000) // a.vehicles + rng.randrange(1000)
        if rng.randrange(997) == 0:
            msg = {"list": []}
        else:
            msg = {"list": [{"vin": vin, "timestamp": "2022-11-01T10:%02d:00+09:00" % minute,
                             "lat": round(35.0 + (i % 1000) / 1000, 6),
                             "lon": round(139.0 + (i % 997) / 997, 6)}]}
        if minute == a.minutes - 1 and i >= a.vehicles - dropped:
            continue
        copies = storms.get(i, 0) + 1 if minute == STORM_MINUTE else 1
        for c in range(copies):
            m = dict(msg, topic=f"vehicles/{vin}/location", clientid=vin, arrival_ms=at + c * 400 // copies)
            rows.append((m["arrival_ms"], json.dumps(m, separators=(",", ":"))))
    # Firehose writes in arrival order within a buffer.
    rows.sort()
    with open(os.path.join(prefix, name), "w") as f:
        for _, line in rows:
            f.write(line)
            f.write("\n")
    total += len(rows)
print(f"wrote {total:,} records in {a.minutes} objects under {prefix}")
