#!/usr/bin/env bash
# The distribution benchmark in one run: shardlint (release, default build), a previous
# shardlint binary (PREV=path, optional), a plain Python hashlib script and DuckDB (the `duckdb`
# wheel, when installed) on the same generated files, interleaved, with ratios and peak RSS.
# Figures, not a pass/fail test. Data goes to $BENCH_DIR (default /tmp/shardlint-bench, about
# 1.5 GB) and is deleted afterwards unless KEEP=1.
# Usage: scripts/bench.sh [--quick] [--only CASE,...]    Environment: PREV, ROUNDS, BENCH_DIR, KEEP
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${BENCH_DIR:-/tmp/shardlint-bench}"
cargo build --release --quiet
python3 scripts/bench-data.py "$dir"
if [[ "${KEEP:-0}" != 1 ]]; then trap 'rm -rf "$dir"' EXIT; fi
python3 scripts/bench.py target/release/shardlint "$dir" "$@"
