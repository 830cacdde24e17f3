#!/usr/bin/env bash
# Create (or refresh) the Python venv used by tests/python.
# Idempotent: re-running only installs what is missing or mis-pinned.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
REQ="$ROOT/tests/python/requirements.txt"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi

# Skip pip entirely when every pin is already satisfied.
if "$VENV/bin/python" - "$REQ" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version, PackageNotFoundError
ok = True
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, want = line.split("==")
    try:
        ok &= version(name) == want
    except PackageNotFoundError:
        ok = False
sys.exit(0 if ok else 1)
PY
    exit 0
fi

"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
