#!/usr/bin/env bash
# The browser the console's tests drive: Debian's `chromium`, installed with apt when missing
# (Playwright's own browser downloads are not used). Prints the browser's path; fails if it is
# not on the machine and cannot be installed (not root, or no apt-get).
set -euo pipefail

find_browser() {
    if [ -n "${DYNOSTACK_CHROMIUM:-}" ] && [ -x "$DYNOSTACK_CHROMIUM" ]; then
        echo "$DYNOSTACK_CHROMIUM"
        return 0
    fi
    command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null
}

if browser="$(find_browser)"; then
    echo "$browser"
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-chromium.sh: chromium is not installed (apt-get install chromium, as root)" >&2
    exit 1
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium >"$log" 2>&1; then
    # The package lists may be stale or absent (a fresh container): refresh them once.
    if ! { apt-get update && apt-get install -y --no-install-recommends chromium; } >"$log" 2>&1; then
        echo "setup-chromium.sh: apt-get install chromium failed:" >&2
        cat "$log" >&2
        exit 1
    fi
fi
find_browser
