#!/usr/bin/env bash
# Builds the release binaries and runs the main program on its embedded default (./data).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tools/scripts/bootstrap.sh
swift build -c release
bin=.build/release
data="${BUBBLE_DATA:-./data}"
"$bin/bubble-timer" demo --data "$data"
echo
echo "== bubble-inspect history tea =="
"$bin/bubble-inspect" history tea --data "$data" || true
