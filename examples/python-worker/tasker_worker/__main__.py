"""`python -m tasker_worker --namespace <ns> --handlers <file.py or module>`: serve a namespace until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any, Mapping

from .config import WorkerConfig
from .handler_api import Handler
from .worker import Worker


class JsonLines(logging.Formatter):
    """One JSON object per line, with the ids a record carries (task_uuid, step_uuid, event_id, correlation_id)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"level": record.levelname.lower(), "msg": record.getMessage(), **getattr(record, "fields", {})}
        if record.exc_info:
            line["stack"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def load_handlers(spec: str) -> Mapping[str, Handler]:
    """The HANDLERS mapping of a Python file or an importable module."""
    if spec.endswith(".py"):
        module_spec = importlib.util.spec_from_file_location(Path(spec).stem, spec)
        assert module_spec and module_spec.loader, f"cannot load {spec}"
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(spec)
    return module.HANDLERS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tasker_worker", description=__doc__)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--handlers", required=True, help="a .py file or a module whose HANDLERS maps callables to functions")
    parser.add_argument("--drain-timeout", type=float, default=25.0, help="seconds running handlers get after SIGTERM")
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "info").upper(), handlers=[handler])
    logging.getLogger("botocore").setLevel(logging.WARNING)
    config = WorkerConfig.from_env(args.namespace, drain_timeout_s=args.drain_timeout)
    worker = Worker(config, load_handlers(args.handlers))
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    print(f"tasker_worker: namespace {args.namespace}, queue {config.dispatch_queue_url}, {config.concurrency} handler(s) at once", flush=True)
    left = worker.run()
    print(f"tasker_worker: drained, unfinished={len(left)}", flush=True)
    logging.shutdown()
    os._exit(0)  # handler threads past their deadline may still run; their messages are left to redelivery


if __name__ == "__main__":
    sys.exit(main())
