#!/usr/bin/env bash
# Install the Node.js dependencies of examples/node (the AWS SDK v3 pinned by
# examples/node/package-lock.json) with `npm ci`.
# Idempotent: skips npm entirely when node_modules was installed from the
# current lock file. Needs only node and npm; quiet unless something fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/examples/node"
LOCK="$DIR/package-lock.json"
STAMP="$DIR/node_modules/.dynostack-lock.sha256"

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "setup-node.sh: '$tool' not found on PATH; install Node.js (20 or later) with npm" >&2
        exit 1
    fi
done

want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] \
    && [ -f "$DIR/node_modules/@aws-sdk/client-dynamodb/package.json" ] \
    && [ -f "$DIR/node_modules/@aws-sdk/lib-dynamodb/package.json" ]; then
    exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! (cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
    echo "setup-node.sh: npm ci failed in $DIR:" >&2
    cat "$log" >&2
    exit 1
fi
echo "$want" >"$STAMP"
