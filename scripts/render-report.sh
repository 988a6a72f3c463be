#!/usr/bin/env bash
# Renders the HTML audit report of a fixture (default: the seed hot-shard case) and takes a
# screenshot of it with headless Chromium, so a person can look at it.
#
#   scripts/render-report.sh [FIXTURE_DIR] [OUT_PNG] [CHECK_ARGS...]
#
# CHECK_ARGS go to `shardlint check`, e.g. `--samples samples.jsonl` to chart measured load:
#   scripts/gen-seed-samples.py 100000 > /tmp/seed.jsonl
#   scripts/render-report.sh fixtures/samples-seed-hot-shard "" --samples /tmp/seed.jsonl
#
# Needs Debian's `chromium` (installed with apt-get when missing and running as root).
# Writes target/report/<name>.html and the PNG (default target/report/<name>.png).
set -euo pipefail
cd "$(dirname "$0")/.."
fixture="${1:-fixtures/tf-seed-hot-shard}"
name="$(basename "$fixture")"
out_dir="target/report"
png="${2:-}"
[ -n "$png" ] || png="$out_dir/$name.png"
shift $(( $# > 2 ? 2 : $# ))
mkdir -p "$out_dir"
html="$PWD/$out_dir/$name.html"

cargo build --quiet
# Exit 1 means "findings", which is what an audit of the seed is for.
status=0
./target/debug/shardlint check "$fixture" --format html -o "$html" "$@" || status=$?
if [ "$status" -ge 2 ]; then
  echo "shardlint failed with exit code $status" >&2
  exit "$status"
fi

browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
    browser="$(command -v chromium)"
  else
    echo "chromium is not installed (apt-get install chromium)" >&2
    exit 2
  fi
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
  --user-data-dir="$profile" --screenshot="$png" --window-size=1200,1600 \
  "file://$html" 2>/dev/null
echo "report: $html"
echo "screenshot: $png"
