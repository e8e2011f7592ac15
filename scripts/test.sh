#!/usr/bin/env bash
# Runs every test of meetkit: the domain core natively, the component end to end through
# the harness, the CLI. Needs only the Rust toolchain (rustup): the toolchain file brings
# the wasm32-wasip2 target and the build compiles the component.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-wasip2 >/dev/null 2>&1 || true

cargo fmt --all -- --check
cargo test --workspace --locked "$@"
