#!/usr/bin/env bash
# The whole test suite: Rust unit and end-to-end tests (aws-sdk-rust against the real binary),
# then the boto3 suite. Installs the Python test dependencies into .venv first.
#
# What a machine lacks is skipped, and said: without Terraform the Terraform checks and tests,
# without Node.js the JavaScript SDK's tests. With DYNOSTACK_REQUIRE_ALL=1 (CI) a missing tool
# fails the run instead. Arguments go to pytest (default: tests/python);
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
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    bash scripts/setup-node.sh
else
    skip "the JavaScript SDK's tests" "node or npm is not on PATH"
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
if [ $# -eq 0 ]; then
    set -- tests/python
fi
DYNOSTACK_BIN="$PWD/target/debug/dynostack" .venv/bin/python -m pytest -q -rs "$@"
for s in "${skipped[@]}"; do
    echo "test.sh: skipped $s"
done
