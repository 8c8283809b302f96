#!/usr/bin/env bash
# A private PostgreSQL for the tests: a new cluster in a temporary directory, on a free
# loopback port, run as the `postgres` user (PostgreSQL refuses to run as root), fsync and
# synchronous_commit on. Installs Debian's postgresql when missing (without its default
# cluster). Prints shell lines to eval:
#   export BUBBLE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:<port>/postgres
#   PG_DIR=<dir>
# and `postgres.sh stop <dir>` stops it and removes the directory.
set -euo pipefail
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ "${1:-}" = "stop" ]; then
  dir="$2"
  su postgres -s /bin/sh -c "'$(find_bin)/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null 2>&1 || true
  rm -rf "$dir"
  exit 0
fi
bin="$(find_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "installing: postgresql" >&2
  # Only the programs: no cluster of its own listening on 5432.
  mkdir -p /etc/postgresql-common
  [ -f /etc/postgresql-common/createcluster.conf ] || echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold postgresql >/dev/null
  bin="$(find_bin)"
fi
dir="$(mktemp -d /tmp/bubble-pg-XXXXXX)"
chown postgres: "$dir"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
su postgres -s /bin/sh -c "'$bin/initdb' -D '$dir/data' -U postgres -A trust -E UTF8 --no-sync" > "$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 \
  -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200\" start" >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
echo "export BUBBLE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
echo "PG_DIR=$dir"
