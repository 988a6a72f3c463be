#!/usr/bin/env bash
# Exports, read-only, what shardlint needs from one AWS account and region: Kinesis streams with
# their shard maps, IoT topic rules, Lambda event source mappings and the functions they invoke.
# The output directory is exactly the layout shardlint reads (`shardlint check OUT/`):
#
#   OUT/kinesis/<stream>.describe-stream-summary.json   aws kinesis describe-stream-summary
#   OUT/kinesis/<stream>.list-shards.json               aws kinesis list-shards (the file name names the stream)
#   OUT/iot/<rule>.get-topic-rule.json                  aws iot get-topic-rule
#   OUT/lambda/list-event-source-mappings.json          aws lambda list-event-source-mappings
#   OUT/lambda/<function>.get-function-configuration.json   for every function a Kinesis mapping invokes
#
# Only Describe/List/Get calls are made. Pagination is the AWS CLI's automatic pagination (never
# --no-paginate), so each file holds every page; shardlint treats a file still carrying a NextToken
# as a partial listing.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: export-account.sh [--region REGION] [--profile PROFILE] OUT_DIR

Writes a read-only export of Kinesis streams, IoT topic rules, Lambda event source mappings and
their functions to OUT_DIR, in the layout `shardlint check OUT_DIR` reads.

  --region REGION    AWS region to export (default: the CLI's configured region)
  --profile PROFILE  AWS CLI profile to use
  -h, --help         show this help
USAGE
}

region=""
profile=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --region) [ $# -ge 2 ] || { usage >&2; exit 2; }; region="$2"; shift 2 ;;
    --profile) [ $# -ge 2 ] || { usage >&2; exit 2; }; profile="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "export-account.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [ -z "$out" ] || { usage >&2; exit 2; }; out="$1"; shift ;;
  esac
done
[ -n "$out" ] || { usage >&2; exit 2; }

if ! command -v aws >/dev/null 2>&1; then
  echo "export-account.sh: the AWS CLI (aws) is not installed or not on PATH" >&2
  exit 2
fi

common=()
[ -n "$region" ] && common+=(--region "$region")
[ -n "$profile" ] && common+=(--profile "$profile")

# JSON output of one call into a file.
awsj() {
  local file="$1"; shift
  aws ${common[@]+"${common[@]}"} --output json "$@" >"$file.tmp"
  mv "$file.tmp" "$file"
  if grep -q '"NextToken"' "$file"; then
    echo "export-account.sh: warning: $file is a partial listing (NextToken present)" >&2
  fi
}

# Whitespace-separated names from a --query.
names() {
  aws ${common[@]+"${common[@]}"} --output text "$@" | tr '\t' '\n' | { grep -v -e '^None$' -e '^$' || true; } | sort -u
}

mkdir -p "$out/kinesis" "$out/iot" "$out/lambda"

for stream in $(names kinesis list-streams --query 'StreamNames[]'); do
  awsj "$out/kinesis/$stream.describe-stream-summary.json" kinesis describe-stream-summary --stream-name "$stream"
  awsj "$out/kinesis/$stream.list-shards.json" kinesis list-shards --stream-name "$stream"
done

for rule in $(names iot list-topic-rules --query 'rules[].ruleName'); do
  awsj "$out/iot/$rule.get-topic-rule.json" iot get-topic-rule --rule-name "$rule"
done

awsj "$out/lambda/list-event-source-mappings.json" lambda list-event-source-mappings

for fn in $(names lambda list-event-source-mappings \
    --query "EventSourceMappings[?contains(EventSourceArn, ':kinesis:')].FunctionArn"); do
  # arn:...:function:NAME[:QUALIFIER] -> NAME
  name="${fn##*:function:}"
  name="${name%%:*}"
  awsj "$out/lambda/$name.get-function-configuration.json" lambda get-function-configuration --function-name "$fn"
done

echo "export-account.sh: wrote $out" >&2
