#!/usr/bin/env bash
# Workers in any language (CI stage, after the LocalStack suites): the Python reference worker's venv, the conformance
# kit against `tasker worker` (TypeScript) and the Python reference worker, and the README's local pull-mode sequence
# with the Python worker. Needs LocalStack's variables (eval "$(bash .ci/localstack.sh env)").
set -euo pipefail
cd "$(dirname "$0")/.."
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
python="$(bash examples/python-worker/setup.sh)"
status=0
echo "--- conformance: tasker worker (TypeScript)"
node lib/cli/tasker.mjs worker-conformance --namespace conformance -- \
  node lib/cli/tasker.mjs worker --namespace conformance --handlers examples/conformance/handlers.ts || status=1
echo "--- conformance: examples/python-worker ($("$python" --version))"
node lib/cli/tasker.mjs worker-conformance --namespace conformance -- \
  "$python" examples/python-worker/worker.py --namespace conformance --handlers examples/python-worker/conformance_handlers.py || status=1
echo "--- local pull mode: tasker dev --pull pyw with the Python worker (examples/python-worker/demo.sh)"
bash examples/python-worker/demo.sh || status=1
exit "$status"
