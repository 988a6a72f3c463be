#!/usr/bin/env bash
# Drives `shardlint server` from a real editor: opens a file (default: the seed fixture) in
# headless Neovim (Debian's `neovim`, 0.7 or later) with the server attached, waits for the
# diagnostics, and prints what Neovim received as FILE:LINE:COLUMN: CODE message.
#   scripts/nvim-lsp.sh [FILE]        (SHARDLINT=path/to/shardlint to use another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-fixtures/tf-seed-hot-shard/main.tf}
if [ -z "${SHARDLINT:-}" ]; then
  cargo build --quiet
  SHARDLINT=$PWD/target/debug/shardlint
fi
command -v nvim >/dev/null || { echo "nvim-lsp.sh: needs Neovim (apt-get install neovim)" >&2; exit 2; }
SHARDLINT=$SHARDLINT nvim --headless --clean -c "luafile scripts/nvim-lsp.lua" "$file"
