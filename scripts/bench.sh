#!/usr/bin/env bash
# The benchmark as README.md reports it: a release build, then the suite (every workload at 32
# connections against a durable server, with the ceiling measured in the same run) and the
# footprint (start-up, idle RSS, RSS and disk with 100k and 1M items), PutItem and GetItem driven by
# wrk (the outside benchmark's client) when it is installed, and what backups cost
# (CreateBackup of 1M items under PutItem load, a restore of them). JSON goes to bench-out/.
# Not part of CI: it needs a quiet machine for ~10 minutes. Extra arguments go to `suite`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --release -p dynostack -p dynostack-bench
B=target/release/dynostack-bench
mkdir -p bench-out
"$B" suite --connections 32 --duration 10 --json bench-out/suite.json "$@"
# The outside benchmark's client (wrk: pre-built requests, far lighter than the suite's).
if command -v wrk > /dev/null; then
  "$B" wrk --connections 32 --duration 20 --json bench-out/wrk.json
else
  echo "wrk is not installed (apt-get install wrk): skipping the wrk figures" >&2
fi
"$B" footprint --json bench-out/footprint.json
"$B" backup --json bench-out/backup.json
