#!/usr/bin/env bash
# Builds the release binaries and runs the server on its embedded default: LMDB under
# ./data, a dev signing secret generated there, http://127.0.0.1:8080 (WebSocket at /ws).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tools/scripts/bootstrap.sh
swift build -c release
bin=.build/release
data="${BUBBLE_DATA:-./data}"
echo "A token for user 'alice' (mint others with: $bin/bubble-timer token <userId> --data $data):"
"$bin/bubble-timer" token alice --data "$data"
echo "Or sign in with your email: curl -X POST localhost:8080/auth/login -d '{\"email\":\"you@example.org\"}'"
echo "(the code appears in this log, as dev delivery; README, \"Self-hosting\")"
echo "The web app: http://127.0.0.1:8080/app (sign in with your email, or paste the token above;"
echo "the server's log names its address as 'web app:' when --port or TLS changes it)"
exec "$bin/bubble-timer" serve --data "$data" "$@"
