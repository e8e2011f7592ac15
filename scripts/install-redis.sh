#!/usr/bin/env bash
# Installs Debian's redis-server when it is missing. The tests start their own servers
# from it (on free loopback ports, with append-only persistence); a test that needs Redis
# fails where it is missing.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
echo "installing redis-server (Debian package)" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq redis-server >/dev/null
# The package may start a system service; the tests do not use it.
command -v redis-server >/dev/null
