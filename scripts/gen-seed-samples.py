#!/usr/bin/env python3
"""Writes seed report 002's load-test traffic as MQTT envelopes, one JSON object per line:
VEHICLES vehicles (TEST-100001..) each sending {"list":[{"vin":..,"timestamp":..,"lat":..,"lon":..}]}
once a minute for MINUTES minutes, on topic vehicles/<vin>/location. Generated, never committed.

usage: scripts/gen-seed-samples.py [VEHICLES=100000] [MINUTES=1] > samples.jsonl
"""
import json
import sys

vehicles = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
minutes = int(sys.argv[2]) if len(sys.argv) > 2 else 1
start_ms = 1_667_264_400_000  # 2022-11-01T10:00:00+09:00
out = sys.stdout
for minute in range(minutes):
    for i in range(vehicles):
        vin = f"TEST-{100_001 + i}"
        ts = start_ms + minute * 60_000 + (i * 60_000) // vehicles
        payload = {"list": [{"vin": vin, "timestamp": "2022-11-01T10:%02d:00+09:00" % (minute % 60),
                             "lat": round(35.0 + (i % 1000) / 1000, 6), "lon": round(139.0 + (i % 997) / 997, 6)}]}
        out.write(json.dumps({"topic": f"vehicles/{vin}/location", "clientid": vin, "timestamp": ts,
                              "payload": payload}, separators=(",", ":")))
        out.write("\n")
