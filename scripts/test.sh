#!/usr/bin/env bash
# Runs every test of meetkit: the domain core natively, the component end to end through
# the harness, the stores (SQLite and a real Redis), several host processes, the CLI.
# Needs only the Rust toolchain: the toolchain file brings the wasm32-wasip2 target, the
# build compiles the component, and this script installs Debian's redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
scripts/install-tools.sh

cargo fmt --all -- --check
cargo test --workspace --locked "$@"
# The embedding example vendors start from must keep running, not only compiling.
cargo run -q --locked -p meetkit-host --example embed >/dev/null
