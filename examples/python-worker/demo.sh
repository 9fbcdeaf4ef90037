#!/usr/bin/env bash
# The local pull mode, end to end, as the README documents it: queues and bus on LocalStack, tasker dev leaving the
# pyw namespace to the reference Python worker, one greeting task through both. Exit 0 when the task completed.
#   source <(bash .ci/localstack.sh env)    # LocalStack's AWS_ENDPOINT_URL, region and test credentials
#   bash examples/python-worker/demo.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
tasker() { node lib/cli/tasker.mjs "$@"; }
prefix="demo-$$"
python="$(bash examples/python-worker/setup.sh)"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  tasker local-aws delete --prefix "$prefix" --namespace pyw >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# 1. The engine's queues (one of them pyw's own) and bus; the variables every process below reads.
eval "$(tasker local-aws create --prefix "$prefix" --namespace pyw)"
# 2. The engine, running every step but pyw's.
env -u DATABASE_URL node lib/cli/tasker.mjs dev --transport aws --pull pyw --port 0 \
  --templates examples/python-worker/templates --handlers examples/python-worker/handlers.ts >"$work/dev.log" 2>&1 &
pids+=($!)
# 3. The Python worker on pyw's queue.
"$python" examples/python-worker/worker.py --namespace pyw --handlers examples/python-worker/greeting_handlers.py \
  >"$work/worker.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 300); do grep -q '^token: ' "$work/dev.log" && break; sleep 0.2; done
url="$(sed -n 's/^listening on //p' "$work/dev.log")"
token="$(sed -n 's/^token: \([^ ]*\).*/\1/p' "$work/dev.log")"
[[ -n "$url" && -n "$token" ]] || { cat "$work/dev.log" >&2; exit 1; }
auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
# 4. A task: prepare runs in TypeScript inside tasker dev, greet in Python.
uuid="$(curl -sf "${auth[@]}" -d '{"namespace":"greeting","name":"greet_person","context":{"name":"Ada"}}' "$url/tasks" | jq -r .task_uuid)"
for _ in $(seq 1 150); do
  state="$(curl -sf "${auth[@]}" "$url/tasks/$uuid" | jq -r '.state // .task.state')"
  [[ "$state" == complete || "$state" == error || "$state" == blocked_by_failures ]] && break
  sleep 0.2
done
curl -sf "${auth[@]}" "$url/tasks/$uuid" | jq -c '{state: (.state // .task.state), greet: (.steps[] | select(.name == "greet") | .result)}'
[[ "$state" == complete ]] || { echo "demo: the task ended $state" >&2; tail -n 20 "$work/dev.log" "$work/worker.log" >&2; exit 1; }
