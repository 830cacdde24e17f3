#!/usr/bin/env bash
# The whole test suite: Rust unit and end-to-end tests (aws-sdk-rust against the real binary),
# then the boto3 suite. Installs the Python test dependencies into .venv first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-python.sh
bash scripts/setup-node.sh
bash scripts/terraform-check.sh
cargo build --locked --bin dynostack
cargo test --locked --workspace
DYNOSTACK_BIN="$PWD/target/debug/dynostack" .venv/bin/python -m pytest -q tests/python
