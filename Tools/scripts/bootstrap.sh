#!/usr/bin/env bash
# Installs what the build needs on a fresh Debian machine (run as root); a no-op when present.
set -euo pipefail
export PATH="/opt/swift/usr/bin:$PATH"
need=()
[ -f /usr/include/lmdb.h ] || need+=(liblmdb-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# Time-zone rules: local timer ends are read in IANA zones (Foundation reads /usr/share/zoneinfo).
[ -f /usr/share/zoneinfo/Europe/Berlin ] || need+=(tzdata)
# TLS tests make their certificates with openssl.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "swift not found (expected at /opt/swift/usr/bin)" >&2; exit 1; }
