#!/usr/bin/env bash
# Runs Microsoft's SARIF validator (`sarif-multitool validate`, npm package
# @microsoft/sarif-multitool) on the SARIF output of every fixture and fails unless it reports
# 0 errors and 0 warnings. Notes (SARIF2xxx style suggestions) are counted and listed, not fatal.
# Each fixture is also checked from its parent directory (`cd fixtures && shardlint check NAME`):
# the results (URIs relative to the repository root, fingerprints) must be identical.
#
# The tool is installed with npm into target/sarif-multitool (override with
# SARIF_MULTITOOL_PREFIX); node and npm must be on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${SARIF_MULTITOOL_PREFIX:-$PWD/target/sarif-multitool}"
version="${SARIF_MULTITOOL_VERSION:-5.7.0}"
tool="$prefix/node_modules/.bin/sarif-multitool"
if [ ! -x "$tool" ]; then
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --silent "@microsoft/sarif-multitool@$version"
fi
# The platform package's postinstall only marks the binary executable; npm may skip it.
for b in "$prefix"/node_modules/@microsoft/sarif-multitool-*/Sarif.Multitool; do
  [ -f "$b" ] && chmod u+x "$b"
done

cargo build --quiet
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
n=0
for case in fixtures/*/; do
  name="$(basename "$case")"
  status=0
  ./target/debug/shardlint check "$case" --format sarif -o "$out/$name.sarif" 2>/dev/null || status=$?
  if [ "$status" -gt 2 ] || [ ! -s "$out/$name.sarif" ]; then
    echo "shardlint failed on $case (exit $status)" >&2
    exit 2
  fi
  # The same check from a subdirectory: identical results.
  sub=0
  (cd fixtures && ../target/debug/shardlint check "$name" --format sarif -o "$out/$name.sub.json" 2>/dev/null) || sub=$?
  if [ "$sub" -ne "$status" ]; then
    echo "exit $status from the root but $sub from fixtures/ on $case" >&2
    exit 2
  fi
  n=$((n + 1))
done
node - "$out" <<'JS'
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
let same = 0, differ = 0;
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.sub.json'))) {
  const sub = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).runs[0];
  const root = JSON.parse(fs.readFileSync(path.join(dir, f.replace('.sub.json', '.sarif')), 'utf8')).runs[0];
  const a = JSON.stringify([root.results, root.originalUriBaseIds, root.invocations]);
  const b = JSON.stringify([sub.results, sub.originalUriBaseIds, sub.invocations]);
  if (a === b) same += 1; else { differ += 1; console.log(`differs from a subdirectory: ${f.replace('.sub.json', '')}`); }
}
console.log(`from the root and from fixtures/: ${same} identical, ${differ} different`);
process.exit(differ === 0 ? 0 : 1);
JS

# The npm bin wrapper runs the tool through a shell, which would split `Error;Warning;Note`:
# call the platform binary it resolves to directly.
bin="$(node -e "console.log(require(process.argv[1]))" "$prefix/node_modules/@microsoft/sarif-multitool")"
"$bin" validate --level "Error;Warning;Note" --output "$out/validation.sarif" "$out"/*.sarif >"$out/validator.log" 2>&1 || true
if [ ! -s "$out/validation.sarif" ]; then
  cat "$out/validator.log" >&2
  echo "the validator produced no output" >&2
  exit 2
fi
node - "$out/validation.sarif" "$n" <<'JS'
const fs = require('fs');
const [file, n] = process.argv.slice(2);
const log = JSON.parse(fs.readFileSync(file, 'utf8'));
const counts = { error: 0, warning: 0, note: 0 };
const byRule = {};
for (const run of log.runs) {
  for (const r of run.results || []) {
    const level = r.level || 'warning';
    counts[level] = (counts[level] || 0) + 1;
    byRule[`${level} ${r.ruleId}`] = (byRule[`${level} ${r.ruleId}`] || 0) + 1;
    if (level === 'error' || level === 'warning') {
      const loc = r.locations?.[0]?.physicalLocation;
      const where = loc ? `${loc.artifactLocation?.uri}:${loc.region?.startLine ?? ''}` : '';
      const args = (r.message?.arguments || []).join(' | ');
      console.log(`${level} ${r.ruleId} ${where} ${args}`);
    }
  }
  for (const inv of run.invocations || []) {
    for (const n of inv.toolExecutionNotifications || []) {
      if (n.level === 'error') {
        counts.error += 1;
        console.log(`error (tool) ${n.message?.text}`);
      }
    }
  }
}
for (const [k, v] of Object.entries(byRule).sort()) console.log(`  ${v} × ${k}`);
console.log(`SARIF of ${n} fixtures: ${counts.error} errors, ${counts.warning} warnings, ${counts.note} notes`);
process.exit(counts.error + counts.warning === 0 ? 0 : 1);
JS
