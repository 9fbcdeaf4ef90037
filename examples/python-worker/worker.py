"""Runs the reference worker from anywhere: `python examples/python-worker/worker.py --namespace ns --handlers file.py`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tasker_worker.__main__ import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
