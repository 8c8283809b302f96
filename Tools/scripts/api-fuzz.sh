#!/usr/bin/env bash
# Property-based fuzzing of the REST API from docs/openapi.yaml with schemathesis (PyPI),
# against a live server: every check (no 5xx, documented statuses and bodies, schema-valid
# requests accepted, schema-invalid ones refused, 405 with Allow, links followed in the
# stateful phase). Zero failures or this exits non-zero. Usage: [BIN=.build/debug] api-fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${BIN:-.build/debug}"
venv=".build/api-fuzz-venv"
if ! "$venv/bin/schemathesis" --version >/dev/null 2>&1; then
  python3 -c "import ensurepip" 2>/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi
work="$(mktemp -d /tmp/bubble-fuzz-XXXXXX)"
port=$((20000 + RANDOM % 20000))
"$bin/bubble-timer" serve --data "$work/data" --port "$port" --log-level error --rate 1000000 --burst 1000000 \
  > "$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 Tools/scripts/wait-healthy.py "$port"
token=$("$bin/bubble-timer" token fuzzer --data "$work/data")
# Lengths are UTF-8 bytes on the server and characters in JSON Schema: ASCII strings make the
# two the same. A fixed seed keeps CI reproducible; run with another to explore.
(cd "$work" && "$OLDPWD/$venv/bin/schemathesis" --config-file "$OLDPWD/Tools/scripts/schemathesis.toml" run "$OLDPWD/docs/openapi.yaml" --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $token" --checks all --generation-codec ascii --generation-database none \
  --max-examples "${FUZZ_EXAMPLES:-100}" --seed "${FUZZ_SEED:-1}" --no-color) | tail -n "${FUZZ_TAIL:-25}" || status=$?
if ! kill -0 "$server" 2>/dev/null; then
  echo "the server died during fuzzing:"; cat "$work/server.log" > "${FUZZ_CRASH_LOG:-/dev/stdout}"; exit 1
fi
[ "${status:-0}" -eq 0 ] || exit "$status"
# The server runs at --log-level error: any line it wrote is an error.
if [ -s "$work/server.log" ]; then
  echo "the server logged errors during fuzzing:"; cat "$work/server.log"; exit 1
fi
