#!/usr/bin/env bash
# Refreshes the pictures in docs/screenshots/ (the README shows them) from a run of the
# end-to-end suites: the public link on a phone, the web app on a phone and a desktop, and a
# timer's history. Uses the debug build (swift build first), or BIN=.build/release.
set -euo pipefail
cd "$(dirname "$0")/../.."
SCREENSHOTS="$PWD/docs/screenshots" BIN="${BIN:-.build/debug}" Tools/scripts/e2e.sh
ls -l docs/screenshots
