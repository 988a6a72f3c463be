#!/usr/bin/env bash
# Regression check of the distribution engine against an earlier commit, in one run: builds the
# `distribution` bench binary of REV (default HEAD~1) and of the working tree, generates one key
# list and one envelope file, then runs each binary's child mode (`run keys|envelopes FILE`, the
# same measurement scripts/bench.sh prints) alternately, best of N per side, and prints keys/s and
# records/s with the change in percent. Exit 1 when either figure is more than 5% slower.
# Usage: scripts/compare-bench.sh [REV] [--scalar]     env: KEYS (5000000) ENVELOPES (1000000) RUNS (5)
set -euo pipefail
cd "$(dirname "$0")/.."
rev=HEAD~1
features=(--features fast-md5)
for a in "$@"; do
  case "$a" in
    --scalar) features=() ;;
    *) rev="$a" ;;
  esac
done
keys_n=${KEYS:-5000000}
env_n=${ENVELOPES:-1000000}
runs=${RUNS:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/shardlint-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT

bench_bin() { # target dir → path of the newest distribution bench executable
  find "$1/release/deps" -maxdepth 1 -type f -executable -name 'distribution-*' -printf '%T@ %p\n' \
    | sort -n | tail -1 | cut -d' ' -f2-
}

echo "building $(git rev-parse --short "$rev") ($rev) and the working tree ..." >&2
git archive --format=tar --prefix=old/ "$rev" | tar -x -C "$work"
# The old tree builds in its own target dir, seeded from ours so only changed crates rebuild.
if [[ -d target/release ]]; then mkdir -p "$work/old-target" && cp -r target/release "$work/old-target/"; fi
(cd "$work/old" && CARGO_TARGET_DIR="$work/old-target" cargo bench --no-run --bench distribution "${features[@]}" >&2)
cargo bench --no-run --bench distribution "${features[@]}" >&2
old=$(bench_bin "$work/old-target")
new=$(bench_bin target)

python3 - "$work" "$keys_n" "$env_n" <<'EOF'
import sys
work, nk, ne = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# As benches/distribution.rs: half vehicle ids, half UUID-shaped keys; seed-2 MQTT envelopes.
with open(f"{work}/keys.txt", "w") as w:
    x = 0x9E3779B97F4A7C15
    m = (1 << 64) - 1
    for i in range(nk):
        if i % 2 == 0:
            w.write(f"TEST-{100001 + i // 2}\n")
        else:
            x = (x * 6364136223846793005 + 1442695040888963407) & m
            y = (((x << 17) | (x >> 47)) & m) ^ i
            w.write(f"{x >> 32:08x}-{(x >> 16) & 0xffff:04x}-4{(y >> 52) & 0xfff:03x}-a{(y >> 40) & 0xfff:03x}-{y & 0xffffffffffff:012x}\n")
with open(f"{work}/env.jsonl", "w") as w:
    for i in range(ne):
        v, mi = i % 100000, i // 100000
        vin = 100001 + v
        ts = 1667264400000 + mi * 60000 + v % 60000
        w.write('{"topic":"vehicles/TEST-%d/location","clientid":"TEST-%d","timestamp":%d,"payload":{"list":[{"vin":"TEST-%d","timestamp":"2022-11-01T%02d:%02d:00+09:00","lat":%.6f,"lon":%.6f}]}}\n'
                % (vin, vin, ts, vin, 10 + mi // 60, mi % 60, 35.0 + (v % 1000) / 1000.0, 139.0 + (v % 997) / 1000.0))
EOF

# Child output: `seconds records hwm_mb distinct md5|label`; keep the best seconds per side.
declare -A best
for ((i = 0; i < runs; i++)); do
  for kind in keys envelopes; do
    file="$work/keys.txt"; [[ $kind == envelopes ]] && file="$work/env.jsonl"
    # Alternate which binary goes first, so neither always meets a warm or a busy machine.
    order=(old new); ((i % 2)) && order=(new old)
    for side in "${order[@]}"; do
      bin=$old; [[ $side == new ]] && bin=$new
      s=$("$bin" run "$kind" "$file" | cut -d' ' -f1)
      k="$side-$kind"
      if [[ -z "${best[$k]:-}" ]] || awk -v a="$s" -v b="${best[$k]}" 'BEGIN{exit !(a<b)}'; then best[$k]=$s; fi
    done
  done
done

echo "machine: $(nproc) cores; $runs alternating runs per side, best of each; $(git rev-parse --short "$rev") vs working tree"
status=0
for kind in keys envelopes; do
  n=$keys_n; unit="M keys/s"; [[ $kind == envelopes ]] && n=$env_n && unit="M records/s"
  line=$(awk -v o="${best[old-$kind]}" -v w="${best[new-$kind]}" -v n="$n" -v k="$kind" -v u="$unit" \
    'BEGIN{ro=n/o/1e6; rn=n/w/1e6; d=(rn/ro-1)*100; printf "%-9s old %.3f s = %.2f %s   new %.3f s = %.2f %s   change %+.1f%%\n", k, o, ro, u, w, rn, u, d; exit (d < -5)}') || status=1
  echo "$line"
done
if ((status)); then echo "regression: a figure is more than 5% below $rev's"; fi
exit $status
