#!/usr/bin/env bash
# The HTML report of a large account: generates a synthetic export (scripts/gen-export.py, 5,000
# streams with metrics by default), renders `check --format html`, prints its size, and takes a
# Chromium screenshot at 1400×900 with the render time (minus a blank page's, Chromium's own
# start-up). The export is deleted afterwards; the report and screenshot stay in target/report/.
#
#   scripts/export-report-5000.sh [STREAMS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-5000}"
out="target/report"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 scripts/gen-export.py "$tmp/export" --streams "$n"
cargo build --release --quiet
html="$PWD/$out/export-$n.html"
start=$(date +%s.%N)
status=0
./target/release/shardlint check "$tmp/export" --format html -o "$html" || status=$?
[ "$status" -ge 2 ] && { echo "shardlint failed ($status)" >&2; exit "$status"; }
echo "check --format html: $(echo "$(date +%s.%N) - $start" | bc) s, $(stat -c %s "$html") bytes"
browser="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$browser" ] || { echo "chromium is not installed (apt-get install chromium)" >&2; exit 2; }
echo '<!DOCTYPE html><html><body>x</body></html>' >"$tmp/blank.html"
shot() {
  local t0 t1
  t0=$(date +%s.%N)
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$tmp/profile" --screenshot="$2" --window-size=1400,900 "file://$1" 2>/dev/null >/dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
shot "$tmp/blank.html" "$tmp/blank.png" >/dev/null  # warm-up: first start creates the profile
blank=$(shot "$tmp/blank.html" "$tmp/blank.png")
full=$(shot "$html" "$out/export-$n.png")
echo "chromium screenshot: $full s (a blank page: $blank s; the report's own load and render: $(echo "$full - $blank" | bc) s)"
echo "report: $html"
echo "screenshot: $out/export-$n.png"
