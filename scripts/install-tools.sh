#!/usr/bin/env bash
# Installs the Debian packages meetkit's tests and shipped build use, when missing:
# - redis-server: the tests start their own servers from it (on free loopback ports,
#   with append-only persistence); a test that needs Redis fails where it is missing;
# - binaryen: its `wasm-opt` shrinks the component's core module when the host builds
#   the component (without it the component works the same, and is larger).
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v wasm-opt >/dev/null 2>&1 || missing+=(binaryen)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing ${missing[*]} (Debian packages)" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
# The redis package may start a system service; the tests do not use it.
command -v redis-server >/dev/null
command -v wasm-opt >/dev/null
# A component built before binaryen was here is built again, now optimised.
if [[ " ${missing[*]} " == *" binaryen "* ]]; then
  touch "$(dirname "$0")/../host-harness/build.rs"
fi
