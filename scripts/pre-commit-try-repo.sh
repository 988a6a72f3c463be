#!/usr/bin/env bash
# Proves the pre-commit hook with the real `pre-commit` tool (from PyPI):
#   1. a scratch git repository holding fixtures/tf-seed-hot-shard: `pre-commit try-repo` must
#      FAIL and print the constant-partition-key finding (SL101);
#   2. one holding fixtures/tf-seed-fixed: it must PASS.
# try-repo builds the hook from this repository's git state (`language: rust` runs
# `cargo install --path`, a few minutes on 2 cores; later runs reuse PRE_COMMIT_HOME).
# Commit first: uncommitted changes go into a temporary shadow commit, but what you test should be
# what you ship.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${PRE_COMMIT_WORK:-$repo/target/pre-commit}"
mkdir -p "$work"
export PRE_COMMIT_HOME="$work/home"

if [ ! -x "$work/venv/bin/pre-commit" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check pre-commit
fi
pc="$work/venv/bin/pre-commit"
"$pc" --version
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "note: $repo has uncommitted changes; try-repo tests a shadow commit of them" >&2
fi

scratch() { # fixture → a new git repo with its files staged
  local dir
  dir="$(mktemp -d "$work/scratch.XXXXXX")"
  cp -r "$repo/fixtures/$1/." "$dir/"
  rm -f "$dir"/expected.*
  git -C "$dir" init --quiet
  git -C "$dir" add -A
  echo "$dir"
}

fail=0
hot="$(scratch tf-seed-hot-shard)"
echo "== try-repo on tf-seed-hot-shard (must fail with SL101)"
set +e
out="$(cd "$hot" && "$pc" try-repo "$repo" shardlint --all-files --color never 2>&1)"
status=$?
set -e
echo "$out"
if [ "$status" -eq 0 ]; then
  echo "FAIL: the hook passed on the hot-shard fixture" >&2
  fail=1
elif ! grep -q "SL101 constant-partition-key" <<<"$out"; then
  echo "FAIL: the hook failed but did not print SL101" >&2
  fail=1
else
  echo "ok: failed with SL101 (exit $status)"
fi

fixed="$(scratch tf-seed-fixed)"
echo "== try-repo on tf-seed-fixed (must pass)"
set +e
out="$(cd "$fixed" && "$pc" try-repo "$repo" shardlint --all-files --color never 2>&1)"
status=$?
set -e
echo "$out"
if [ "$status" -ne 0 ]; then
  echo "FAIL: the hook failed on the fixed fixture (exit $status)" >&2
  fail=1
else
  echo "ok: passed"
fi
rm -rf "$hot" "$fixed"
exit "$fail"
