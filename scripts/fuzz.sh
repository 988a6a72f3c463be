#!/usr/bin/env bash
# Runs every fuzz target under fuzz/ (cargo-fuzz, libFuzzer) for SECONDS in total (default 600),
# split evenly, and prints executions, crashes, timeouts and out-of-memory reports per target.
# Seeds each corpus from fixtures/ (and the corpus kept from earlier runs), with the target's
# dictionary. An input is a timeout past 10 s and out of memory past 1 GiB RSS or one 512 MiB
# allocation. Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain, or stable
# with RUSTC_BOOTSTRAP=1 (used when no nightly is installed). Findings land in fuzz/artifacts/.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
TOTAL=${1:-600}
shift || true
TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then
    TARGETS=(template load_terraform load_cfn_yaml load_json load_export config samples render blowups)
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    FUZZ=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    FUZZ=(cargo fuzz)
fi
: >build.log
"${FUZZ[@]}" build -O >>build.log 2>&1 || { echo "build failed: fuzz/build.log"; tail -20 build.log; exit 1; }

# Seed corpus: fixture files of the kind each target reads (copied, never committed).
seed() { # seed TARGET PATTERN...
    local t=$1
    shift
    mkdir -p "corpus/$t"
    for p in "$@"; do
        find ../fixtures ../tests/distribution_samples -type f -name "$p" -size -256k 2>/dev/null |
            while read -r f; do cp "$f" "corpus/$t/seed-$(echo "$f" | md5sum | cut -c1-12)"; done
    done
}
seed load_terraform '*.tf' '*.tfvars'
seed load_cfn_yaml '*.yaml' '*.yml'
seed load_json '*.json'
seed load_export '*.list-shards.json' '*describe-stream*.json' '*.get-topic-rule.json' '*event-source-mappings*.json' '*get-function*.json'
seed config 'shardlint.toml'
seed samples '*.jsonl' '*.txt' '*.json' '*.gz'
mkdir -p corpus/template corpus/render corpus/blowups
grep -rhoE '\$\{[^"]*\}' ../fixtures --include='*.tf' --include='*.yaml' --include='*.json' 2>/dev/null | sort -u | head -200 |
    while read -r k; do printf '%s\n{"vin":"A","a":{"b":[1,2]}}' "$k" >"corpus/template/seed-$(echo "$k" | md5sum | cut -c1-12)"; done
for f in $(find ../fixtures -type f \( -name '*.tf' -o -name '*.yaml' \) -size -64k | head -60); do
    case $f in *.tf) k='\x00' ;; *) k='\x01' ;; esac
    { printf "$k"; cat "$f"; } >"corpus/render/seed-$(echo "$f" | md5sum | cut -c1-12)"
done
for g in 0 1 2 3 4 5 6 7; do for s in 1 64 255; do printf "\\x$(printf %02x $g)\\x$(printf %02x $s)" >"corpus/blowups/g$g-$s"; done; done

dict_for() {
    case $1 in
        template) echo dicts/template.dict ;;
        load_terraform | blowups) echo dicts/terraform.dict ;;
        load_cfn_yaml | render) echo dicts/yaml.dict ;;
        load_json | load_export) echo dicts/json.dict ;;
        config) echo dicts/toml.dict ;;
        samples) echo dicts/samples.dict ;;
    esac
}

per=$((TOTAL / ${#TARGETS[@]}))
printf '%-16s %8s %12s %7s %8s %5s\n' target seconds executions crashes timeouts ooms
status=0
for t in "${TARGETS[@]}"; do
    mkdir -p "artifacts/$t"
    before=$(ls "artifacts/$t" | wc -l)
    "${FUZZ[@]}" run -O "$t" "corpus/$t" -- \
        -max_total_time="$per" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=512 \
        -dict="$(dict_for "$t")" -print_final_stats=1 -close_fd_mask=3 \
        >"artifacts/$t.log" 2>&1
    execs=$(grep -a 'stat::number_of_executed_units' "artifacts/$t.log" | awk '{print $2}' | tail -1)
    crashes=$(ls "artifacts/$t" | grep -c '^crash-')
    timeouts=$(ls "artifacts/$t" | grep -c '^timeout-')
    ooms=$(ls "artifacts/$t" | grep -c '^oom-')
    printf '%-16s %8s %12s %7s %8s %5s\n' "$t" "$per" "$(printf "%'d" "${execs:-0}")" "$crashes" "$timeouts" "$ooms"
    if [[ $(ls "artifacts/$t" | wc -l) -gt $before ]]; then
        status=1
        grep -a -m3 -E 'panicked|ERROR: libFuzzer|SUMMARY' "artifacts/$t.log" | sed 's/^/    /'
    fi
done
exit $status
