#!/usr/bin/env bash
# Runs the `shardlint sql --dialect spark` query on Spark local[2] over a Firehose archive and
# compares it field by field with `distribute --samples` on the same records (scripts/sql-check.py
# does the comparison and prints it). Opt-in: it installs pyspark (about 400 MB) into a venv the
# first time. Needs Java 17 or later (Debian: openjdk-17-jre-headless) and python3 with venv.
#
# usage: scripts/spark-check.sh [ARCHIVE_DIR] [sql-check.py options...]
#   ARCHIVE_DIR defaults to /tmp/shardlint-archive, written by scripts/gen-archive.py if absent.
#   SHARDLINT_SPARK_VENV (default /tmp/venv-spark) is where pyspark goes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
archive="${1:-/tmp/shardlint-archive}"
[ $# -gt 0 ] && shift
venv="${SHARDLINT_SPARK_VENV:-/tmp/venv-spark}"

if ! command -v java >/dev/null; then
  echo "spark-check: no java on PATH; Spark needs Java 17+ (apt-get install openjdk-17-jre-headless)" >&2
  exit 2
fi
if ! "$venv/bin/python" -c 'import pyspark' 2>/dev/null; then
  echo "spark-check: installing pyspark into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'pyspark>=3.5,<5'
fi
if [ ! -d "$archive" ]; then
  python3 "$here/gen-archive.py" "$archive"
fi
echo "spark-check: $("$venv/bin/python" -c 'import pyspark; print("pyspark", pyspark.__version__)'), $(java -version 2>&1 | head -n 1)"
exec "$venv/bin/python" "$here/sql-check.py" "$archive" --dialects spark "$@"
