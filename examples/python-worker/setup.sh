#!/usr/bin/env bash
# Creates examples/python-worker/.venv (Python >= 3.11) with requirements.txt installed; idempotent: does nothing
# when the venv already holds exactly these requirements. Prints the venv's python.
#   bash examples/python-worker/setup.sh          # PYTHON=python3.12 to choose the interpreter
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
STAMP="$VENV/.requirements.sha256"
want="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then echo "$VENV/bin/python"; exit 0; fi
python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "setup.sh: $python is older than 3.11" >&2; exit 1; }
rm -rf "$VENV"
"$python" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" 2> >(grep -v "^WARNING: Location 'file:" >&2) >&2
echo "$want" >"$STAMP"
echo "$VENV/bin/python"
