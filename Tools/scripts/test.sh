#!/usr/bin/env bash
# Runs every test (unit, LMDB on disk, tools as built executables) on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tools/scripts/bootstrap.sh
swift build --build-tests
swift test --skip-build
