#!/usr/bin/env bash
# The whole test suite: Rust unit and end-to-end tests (aws-sdk-rust against the real binary),
# then the boto3 suite. Installs the Python test dependencies into .venv first.
#
# What a machine lacks is skipped, and said: without Terraform the Terraform checks and tests,
# without Node.js the JavaScript SDK's and the console's tests, without Chromium (installed with
# apt when run as root) the console's. With DYNOSTACK_REQUIRE_ALL=1 (CI) a missing tool fails
# the run instead. Arguments go to pytest (default: tests/python, then the console's tests);
# DYNOSTACK_CARGO_TESTS=0 leaves out `cargo test` (the binary is still built).
set -euo pipefail
cd "$(dirname "$0")/.."

skipped=()
skip() {
    if [ "${DYNOSTACK_REQUIRE_ALL:-0}" = 1 ]; then
        echo "test.sh: $2, and DYNOSTACK_REQUIRE_ALL=1 asks for everything" >&2
        exit 1
    fi
    echo "test.sh: skipping $1: $2" >&2
    skipped+=("$1 ($2)")
}

bash scripts/setup-python.sh
node=0
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    bash scripts/setup-node.sh
    node=1
else
    skip "the JavaScript SDK's and the console's tests" "node or npm is not on PATH"
fi
chromium=""
if [ "$node" = 1 ]; then
    if ! chromium="$(bash scripts/setup-chromium.sh)"; then
        skip "the console's browser tests" "chromium is not installed and cannot be"
        chromium=""
    fi
fi
if command -v terraform >/dev/null 2>&1; then
    bash scripts/terraform-check.sh
else
    skip "the Terraform checks and tests" "terraform is not on PATH"
fi
cargo build --locked --bin dynostack
if [ "${DYNOSTACK_CARGO_TESTS:-1}" = 1 ]; then
    cargo test --locked --workspace
else
    skip "cargo test" "DYNOSTACK_CARGO_TESTS=0"
fi
explicit=1
if [ $# -eq 0 ]; then
    explicit=0
    set -- tests/python
fi
DYNOSTACK_BIN="$PWD/target/debug/dynostack" .venv/bin/python -m pytest -q -rs "$@"
if [ -n "$chromium" ] && [ "$explicit" = 0 ]; then
    # The console in a browser; screenshots of each step go to target/console-tests/.
    DYNOSTACK_BIN="$PWD/target/debug/dynostack" DYNOSTACK_CHROMIUM="$chromium" \
        node --test --test-concurrency=1 tests/console/*.test.mjs
fi
for s in "${skipped[@]}"; do
    echo "test.sh: skipped $s"
done
