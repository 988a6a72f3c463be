#!/usr/bin/env bash
# Proves the pre-commit hooks with the real `pre-commit` tool (from PyPI), as a user's repository
# would run them:
#   1. a scratch git repository holding fixtures/tf-seed-hot-shard: `pre-commit try-repo` with
#      the `shardlint` hook (`language: python`: pip installs this repository, maturin builds the
#      binary) must FAIL and print the constant-partition-key finding (SL101);
#   2. one holding fixtures/tf-seed-fixed: it must PASS;
#   3. a commit that changes only variables.tf's default to a constant: the staged-files run
#      must FAIL with SL101, reported at the key in the unchanged main.tf;
#   4. `pre-commit run` with a `.pre-commit-config.yaml` naming this repository at HEAD, twice:
#      the first run installs the hook's environment, the second must reuse it (no "Installing
#      environment" line, no build);
#   5. the `shardlint-system` hook with that environment's binary on the PATH: fails on the seed.
# Prints how long each run took. `try-repo` uses a throwaway store by design, so each try-repo
# run installs the hook again (a cargo build from source; set CARGO_TARGET_DIR to share the
# compiled dependencies between runs); a published wheel installs in seconds instead.
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
last_out=""
last_status=0
last_secs=0
try() { # dir hook [extra args...] → sets last_out, last_status, last_secs
  local dir="$1" hook="$2"
  shift 2
  local start end
  start=$(date +%s.%N)
  set +e
  last_out="$(cd "$dir" && "$pc" try-repo "$repo" "$hook" --color never "$@" 2>&1)"
  last_status=$?
  set -e
  end=$(date +%s.%N)
  last_secs=$(python3 -c "print(f'{$end - $start:.1f}')")
  echo "$last_out"
}

hot="$(scratch tf-seed-hot-shard)"
echo "== 1. try-repo shardlint on tf-seed-hot-shard (must fail with SL101)"
try "$hot" shardlint --all-files
first_secs=$last_secs
built=no
grep -q "Installing environment" <<<"$last_out" && built=yes
if [ "$last_status" -eq 0 ]; then
  echo "FAIL: the hook passed on the hot-shard fixture" >&2
  fail=1
elif ! grep -q "SL101 constant-partition-key" <<<"$last_out"; then
  echo "FAIL: the hook failed but did not print SL101" >&2
  fail=1
else
  echo "ok: failed with SL101 (exit $last_status) in ${first_secs} s (environment built: $built)"
fi

fixed="$(scratch tf-seed-fixed)"
echo "== 2. try-repo shardlint on tf-seed-fixed (must pass)"
try "$fixed" shardlint --all-files
second_secs=$last_secs
if [ "$last_status" -ne 0 ]; then
  echo "FAIL: the hook failed on the fixed fixture (exit $last_status)" >&2
  fail=1
else
  echo "ok: passed in ${second_secs} s"
fi

vars="$(scratch tf-variable-constant)"
echo "== 3. a commit changing only variables.tf to a constant default (must fail with SL101)"
# Start from a per-record key, committed; then make the default a constant and stage only that.
sed -i 's/default     = "vin"/default     = "$${vin}"/' "$vars/variables.tf"
git -C "$vars" add -A
git -C "$vars" -c user.name=t -c user.email=t@example.com commit --quiet -m base
sed -i 's/default     = "$${vin}"/default     = "vin"/' "$vars/variables.tf"
git -C "$vars" add variables.tf
try "$vars" shardlint
if [ "$last_status" -eq 0 ]; then
  echo "FAIL: the commit of variables.tf passed" >&2
  fail=1
elif ! grep -q "SL101 constant-partition-key" <<<"$last_out" || ! grep -q "main.tf" <<<"$last_out"; then
  echo "FAIL: no SL101 at main.tf" >&2
  fail=1
else
  echo "ok: failed with SL101 at the key in main.tf (${last_secs} s)"
fi

echo "== 4. pre-commit run twice with a config naming this repository (the second must not build)"
cfg="$(scratch tf-seed-fixed)"
head_rev="$(git -C "$repo" rev-parse HEAD)"
printf 'repos:\n  - repo: %s\n    rev: %s\n    hooks:\n      - id: shardlint\n' "$repo" "$head_rev" >"$cfg/.pre-commit-config.yaml"
git -C "$cfg" add -A
run_secs=()
for i in 1 2; do
  start=$(date +%s.%N)
  set +e
  out="$(cd "$cfg" && "$pc" run --all-files --color never 2>&1)"
  status=$?
  set -e
  end=$(date +%s.%N)
  secs=$(python3 -c "print(f'{$end - $start:.1f}')")
  run_secs+=("$secs")
  echo "$out"
  if [ "$status" -ne 0 ]; then
    echo "FAIL: pre-commit run $i failed on the fixed fixture" >&2
    fail=1
  elif [ "$i" -eq 2 ] && grep -q "Installing environment" <<<"$out"; then
    echo "FAIL: the second pre-commit run installed the environment again" >&2
    fail=1
  else
    echo "ok: run $i passed in $secs s$( [ "$i" -eq 2 ] && echo ', environment reused (no build)')"
  fi
done

echo "== 5. try-repo shardlint-system with the hook's binary on the PATH (must fail with SL101)"
bin="$(find "$PRE_COMMIT_HOME" -path '*/bin/shardlint' -type f | head -1)"
if [ -z "$bin" ]; then
  echo "FAIL: no shardlint binary in the hook environment" >&2
  fail=1
else
  PATH="$(dirname "$bin"):$PATH" try "$hot" shardlint-system --all-files
  if [ "$last_status" -ne 0 ] && grep -q "SL101" <<<"$last_out"; then
    echo "ok: failed with SL101 (${last_secs} s)"
  else
    echo "FAIL: shardlint-system did not fail with SL101" >&2
    fail=1
  fi
fi
rm -rf "$hot" "$fixed" "$vars" "$cfg"
echo "figures: try-repo (builds each time): ${first_secs} s (built: $built), ${second_secs} s; pre-commit run: first ${run_secs[0]:-?} s (installs), second ${run_secs[1]:-?} s (reuses)"
exit "$fail"
