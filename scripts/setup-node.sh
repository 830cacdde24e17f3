#!/usr/bin/env bash
# Install the Node.js dependencies with `npm ci`, from their lock files: examples/node (the AWS
# SDK v3 examples) and tests/console (playwright-core and the SDK for the console's browser
# tests). Idempotent: skips npm for a directory whose node_modules was installed from its
# current lock file. Needs only node and npm; quiet unless something fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "setup-node.sh: '$tool' not found on PATH; install Node.js (20 or later) with npm" >&2
        exit 1
    fi
done

install() {
    local dir="$ROOT/$1"
    local stamp="$dir/node_modules/.dynostack-lock.sha256"
    local want
    want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    local log
    log="$(mktemp)"
    if ! (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
        echo "setup-node.sh: npm ci failed in $dir:" >&2
        cat "$log" >&2
        rm -f "$log"
        exit 1
    fi
    rm -f "$log"
    echo "$want" >"$stamp"
}

install examples/node
install tests/console
