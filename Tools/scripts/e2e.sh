#!/usr/bin/env bash
# End to end with real parts. Tools/scripts/e2e/self_hosting.py: email sign-in through msmtp
# into an aiosmtpd receiver, a public link in headless Chromium, export, a hot backup restored
# and served, HTTPS with a generated certificate. Tools/scripts/e2e/web_app.py: the web app at
# /app in two Chromium sessions (alice and bob share a timer live, a dropped connection
# resumes, the timeline, the inbox). Installs what is missing: msmtp, chromium,
# chromium-driver, openssl (apt) and aiosmtpd, selenium (PyPI, in .build/e2e-venv).
# `e2e.sh cluster POSTGRES_URL`: Tools/scripts/e2e/cluster.py instead — three cluster nodes on
# that PostgreSQL (test.sh runs it once its private instance is up).
# Usage: [BIN=.build/debug] [SCREENSHOTS=dir] e2e.sh [cluster POSTGRES_URL]
# (SCREENSHOTS=docs/screenshots refreshes the committed pictures: refresh-screenshots.sh.)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${BIN:-.build/debug}"
need=()
command -v msmtp >/dev/null 2>&1 || need+=(msmtp)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
python3 -c "import ensurepip" 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
venv=".build/e2e-venv"
if ! "$venv/bin/python" -c "import aiosmtpd, selenium, websocket" >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "aiosmtpd==1.4.6" "selenium==4.51.0" "websocket-client==1.8.0"
fi
# Selenium is given chromedriver's path: it must not try to download one.
export SE_OFFLINE=true
if [ "${1:-}" = "cluster" ]; then
  exec "$venv/bin/python" -W ignore::ResourceWarning Tools/scripts/e2e/cluster.py "$bin" "$2"
fi
"$venv/bin/python" Tools/scripts/e2e/self_hosting.py "$bin" ${SCREENSHOTS:+"$SCREENSHOTS"}
"$venv/bin/python" Tools/scripts/e2e/web_app.py "$bin" ${SCREENSHOTS:+"$SCREENSHOTS"}
