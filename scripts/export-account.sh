#!/usr/bin/env bash
# Kept for old instructions: the export is now `shardlint export` (parallel, all regions, metrics,
# sampled records, manifest.json). `--region R` maps to `--regions R`; everything else is passed on.
# See `shardlint export --help`.
set -euo pipefail
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --region) args+=(--regions "$2"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if command -v shardlint >/dev/null 2>&1; then
  exec shardlint export "${args[@]}"
fi
exec cargo run --quiet --release --manifest-path "$(dirname "$0")/../Cargo.toml" -- export "${args[@]}"
