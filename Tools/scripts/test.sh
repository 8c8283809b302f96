#!/usr/bin/env bash
# Runs every test (unit, LMDB on disk, tools as built executables) on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tools/scripts/bootstrap.sh
swift build --build-tests
# Durability under kill -9, short form (the long form and its result: docs/benchmarks.md).
Tools/scripts/crash-test.sh "${CRASH_CYCLES:-20}"
# The REST API against its own document (schemathesis from PyPI, installed on first run).
Tools/scripts/api-fuzz.sh
# Self-hosting and the web app end to end: email sign-in through a real SMTP receiver, a public link in
# headless Chromium, export, backup/restore, HTTPS; the web app in two Chromium sessions (installs msmtp, chromium, selenium, …).
Tools/scripts/e2e.sh
# A private PostgreSQL (installed if missing, run as the postgres user) for the shared-log tests
# and for three cluster nodes end to end (kill -9 of one under load, Tools/scripts/e2e/cluster.py).
pg="$(Tools/scripts/postgres.sh)"
eval "$pg"
trap 'Tools/scripts/postgres.sh stop "$PG_DIR"' EXIT
Tools/scripts/e2e.sh cluster "$BUBBLE_TEST_POSTGRES_URL"
swift test --skip-build
