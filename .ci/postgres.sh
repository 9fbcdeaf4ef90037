#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 and prints a DATABASE_URL for tests.
#   bash .ci/postgres.sh ensure   # start it if installed but stopped; install it (Debian) if missing
#   bash .ci/postgres.sh url      # the DATABASE_URL the test suites use
set -euo pipefail

HOST=127.0.0.1
PORT="${PGPORT:-5432}"
TEST_DB="${TASKER_TEST_DATABASE:-tasker_test}"
log() { echo "postgres.sh: $*" >&2; }

ready() { pg_isready -q -h "$HOST" -p "$PORT" 2>/dev/null; }

install_server() {
  log "PostgreSQL is not installed: installing it from Debian's packages"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

start_cluster() {
  local version
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  log "starting PostgreSQL $version (cluster main)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
}

wait_ready() {
  for _ in $(seq 1 60); do ready && return 0; sleep 0.5; done
  log "PostgreSQL did not become ready on $HOST:$PORT"; return 1
}

# The tests connect over TCP as postgres with a password, which works with trust and with scram.
set_password() {
  su postgres -c "psql -q -p $PORT -c \"alter user postgres password 'postgres'\"" >/dev/null
}

create_test_database() {
  PGPASSWORD=postgres psql -q -h "$HOST" -p "$PORT" -U postgres -tc "select 1 from pg_database where datname = '$TEST_DB'" | grep -q 1 ||
    PGPASSWORD=postgres psql -q -h "$HOST" -p "$PORT" -U postgres -c "create database $TEST_DB" >/dev/null
}

cmd_ensure() {
  command -v pg_ctlcluster >/dev/null 2>&1 || [[ -d /etc/postgresql ]] || install_server
  ready || start_cluster
  wait_ready
  set_password
  create_test_database
  log "PostgreSQL ready on $HOST:$PORT, test database $TEST_DB"
}

case "${1:-}" in
  ensure) cmd_ensure ;;
  url) echo "postgres://postgres:postgres@$HOST:$PORT/$TEST_DB" ;;
  *) echo "usage: $0 ensure|url" >&2; exit 2 ;;
esac
