#!/usr/bin/env bash
# Distribution engine benchmark: builds in release with the multi-buffer MD5 feature and prints
# keys/s vs Python hashlib, envelope throughput and peak RSS. Figures, not a pass/fail test.
# Usage: scripts/bench.sh [--scalar]   (--scalar: md-5 only, no `fast-md5`)
set -euo pipefail
cd "$(dirname "$0")/.."
features=(--features fast-md5)
if [[ "${1:-}" == "--scalar" ]]; then features=(); fi
cargo bench --no-run --bench distribution "${features[@]}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cargo bench --bench distribution "${features[@]}"
