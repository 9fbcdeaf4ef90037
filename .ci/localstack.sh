#!/usr/bin/env bash
# LocalStack (community core) on the host, without Docker: SQS and EventBridge for the integration tests.
#
#   bash .ci/localstack.sh install   # virtualenv in .venv/localstack (idempotent)
#   bash .ci/localstack.sh start     # background process, waits until sqs and events are available
#   bash .ci/localstack.sh stop      # stops the process named in .localstack/localstack.pid
#   bash .ci/localstack.sh status    # exit 0 when healthy
#   source <(bash .ci/localstack.sh env)
#
# Environment: LOCALSTACK_PORT (default 4566), LOCALSTACK_START_TIMEOUT (seconds, default 120),
# LOCALSTACK_PYTHON (interpreter for the virtualenv; default: the newest Python >= 3.12 found).
# Settings: host mode (no Docker), gateway on 127.0.0.1 only, DNS server off, path-style SQS queue URLs
# (http://127.0.0.1:PORT/queue/REGION/ACCOUNT/NAME), every file under .localstack/, nothing persisted.
set -euo pipefail

LOCALSTACK_VERSION='4.14.0'
# localstack-core 4.14.0's metadata admits releases it cannot run with: cbor2 6 removed cbor2._decoder, and
# pyOpenSSL 26 removed X509.add_extensions (used for its self-signed gateway certificate), and its default
# twisted gateway imports service_identity, which its metadata does not require.
PINS=('cbor2>=5.5,<6' 'pyopenssl>=23,<26' 'service-identity>=24')
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv/localstack"
STATE_DIR="$ROOT/.localstack"
PID_FILE="$STATE_DIR/localstack.pid"
LOG_FILE="$STATE_DIR/localstack.log"
PORT="${LOCALSTACK_PORT:-4566}"
ENDPOINT="http://127.0.0.1:$PORT"
START_TIMEOUT="${LOCALSTACK_START_TIMEOUT:-120}"

log() { echo "localstack.sh: $*" >&2; }

# localstack-core 4.14.0 says Requires-Python >=3.10 but its sqs and events providers use Python 3.12 syntax
# (PEP 695), so look for a 3.13 or 3.12 interpreter: on PATH first, then among pyenv's versions.
pick_python() {
  if [[ -n "${LOCALSTACK_PYTHON:-}" ]]; then echo "$LOCALSTACK_PYTHON"; return; fi
  local candidate
  for candidate in python3.13 python3.12 python3; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then command -v "$candidate"; return; fi
  done
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  for candidate in $(ls -d "$pyenv_root"/versions/3.13* "$pyenv_root"/versions/3.12* 2>/dev/null | sort -rV); do
    [[ -x "$candidate/bin/python3" ]] && { echo "$candidate/bin/python3"; return; }
  done
  log "no Python >= 3.12 found (set LOCALSTACK_PYTHON)"; return 1
}

installed() {
  [[ -x "$VENV/bin/python" ]] &&
    "$VENV/bin/python" -c "
import importlib.metadata as m, sys
major = lambda name: int(m.version(name).split('.')[0])
sys.exit(m.version('localstack-core') != '$LOCALSTACK_VERSION' or major('cbor2') >= 6 or major('pyopenssl') >= 26 or not m.version('service-identity'))" 2>/dev/null
}

cmd_install() {
  if installed; then log "localstack-core $LOCALSTACK_VERSION already installed in $VENV"; return 0; fi
  local python; python="$(pick_python)" || return 1
  if [[ -x "$VENV/bin/python" ]] && ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
    log "removing $VENV: its Python is older than 3.12"; rm -rf "$VENV"
  fi
  log "creating $VENV with $($python --version 2>&1)"
  "$python" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "localstack-core[runtime]==$LOCALSTACK_VERSION" "${PINS[@]}" 2> >(grep -v "^WARNING: Location 'file:" >&2)
  installed || { log "install finished but localstack-core $LOCALSTACK_VERSION is not importable"; return 1; }
  log "installed localstack-core $LOCALSTACK_VERSION"
}

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid; pid="$(cat "$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Exit 0 when /_localstack/health reports both sqs and events as available or running.
healthy() {
  "$VENV/bin/python" - "$ENDPOINT/_localstack/health" 2>/dev/null <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as response:
    services = json.load(response).get("services", {})
sys.exit(0 if all(services.get(name) in ("available", "running") for name in ("sqs", "events")) else 1)
PY
}

cmd_start() {
  installed || { log "not installed: run 'bash .ci/localstack.sh install' first"; return 1; }
  if running_pid >/dev/null; then
    healthy && { log "already running (pid $(cat "$PID_FILE")) on $ENDPOINT"; return 0; }
    log "a process from $PID_FILE is running but not healthy; stopping it"; cmd_stop
  fi
  if healthy; then log "something not started by this script already answers on $ENDPOINT; stop it first"; return 1; fi
  mkdir -p "$STATE_DIR/filesystem"
  : >"$LOG_FILE"
  (
    cd "$STATE_DIR"
    export OVERRIDE_IN_DOCKER=0 \
      FILESYSTEM_ROOT="$STATE_DIR/filesystem" \
      XDG_CACHE_HOME="$STATE_DIR/cache" \
      GATEWAY_LISTEN="127.0.0.1:$PORT" \
      GATEWAY_SERVER=hypercorn \
      LOCALSTACK_HOST="127.0.0.1:$PORT" \
      SERVICES='sqs,events' \
      EAGER_SERVICE_LOADING=1 \
      SQS_ENDPOINT_STRATEGY=path \
      DNS_ADDRESS=0 \
      DISABLE_EVENTS=1 \
      SKIP_SSL_CERT_DOWNLOAD=1 \
      SQS_DISABLE_CLOUDWATCH_METRICS=1 \
      PERSISTENCE=0
    exec setsid "$VENV/bin/python" -m localstack.runtime.main </dev/null >>"$LOG_FILE" 2>&1
  ) &
  echo $! >"$PID_FILE"
  wait_healthy "$!"
}

wait_healthy() {
  local pid="$1" started; started="$(date +%s)"
  while (($(date +%s) - started < START_TIMEOUT)); do
    if healthy; then log "ready on $ENDPOINT (pid $pid) after $(($(date +%s) - started)) s"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { log "process $pid exited during start-up"; tail -n 40 "$LOG_FILE" >&2; rm -f "$PID_FILE"; return 1; }
    sleep 0.5
  done
  log "not healthy after $START_TIMEOUT s; log tail:"; tail -n 40 "$LOG_FILE" >&2
  cmd_stop
  return 1
}

cmd_stop() {
  local pid
  pid="$(running_pid)" || { log "not running"; rm -f "$PID_FILE"; return 0; }
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PID_FILE"; log "stopped (pid $pid)"; return 0; }
    sleep 0.5
  done
  log "pid $pid did not exit after 30 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
}

cmd_status() {
  local pid
  pid="$(running_pid)" || { log "not running"; return 1; }
  healthy || { log "pid $pid running but not healthy"; return 1; }
  log "healthy on $ENDPOINT (pid $pid)"
}

cmd_env() {
  echo "export AWS_ENDPOINT_URL=$ENDPOINT AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 {install|start|stop|status|env}" >&2; exit 2 ;;
esac
