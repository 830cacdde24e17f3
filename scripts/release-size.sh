#!/usr/bin/env bash
# Builds the release binary as it is shipped (no debug information, stripped; `-p dynostack`
# alone, so the workspace's other members do not add their features) and prints its
# size; fails above 15 MB. Usage: bash scripts/release-size.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --release -p dynostack --bin dynostack
bytes=$(stat -c %s target/release/dynostack)
limit=$((15 * 1024 * 1024))
echo "target/release/dynostack: $bytes bytes ($(awk "BEGIN { printf \"%.1f\", $bytes / 1048576 }") MiB; limit 15 MiB)"
[ "$bytes" -lt "$limit" ]
