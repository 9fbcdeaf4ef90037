"""The worker's settings, from the environment variables of the worker protocol's configuration table."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class WorkerConfig:
    dispatch_queue_url: str
    completion_queue_url: str
    poison_queue_url: str
    domain_event_dlq_url: str | None
    event_bus_name: str
    visibility_timeout_s: int
    completion_timeout_ms: int
    callback_timeout_ms: int
    concurrency: int
    worker_id: str
    drain_timeout_s: float

    @staticmethod
    def from_env(namespace: str, env: Mapping[str, str] = os.environ, drain_timeout_s: float = 25.0) -> WorkerConfig:
        routes = json.loads(env.get("TASKER_NAMESPACE_QUEUE_URLS") or "{}")
        dispatch = routes.get(namespace) or env.get("TASKER_DISPATCH_QUEUE_URL")
        missing = [name for name, value in (("a dispatch queue for " + namespace, dispatch),
                                            ("TASKER_COMPLETION_QUEUE_URL", env.get("TASKER_COMPLETION_QUEUE_URL")),
                                            ("TASKER_POISON_QUEUE_URL", env.get("TASKER_POISON_QUEUE_URL"))) if not value]
        if missing:
            raise SystemExit(f"tasker_worker: missing {', '.join(missing)} (TASKER_NAMESPACE_QUEUE_URLS or TASKER_DISPATCH_QUEUE_URL)")
        return WorkerConfig(
            dispatch_queue_url=str(dispatch),
            completion_queue_url=env["TASKER_COMPLETION_QUEUE_URL"],
            poison_queue_url=env["TASKER_POISON_QUEUE_URL"],
            domain_event_dlq_url=env.get("TASKER_DOMAIN_EVENT_DLQ_URL") or None,
            event_bus_name=env.get("TASKER_EVENT_BUS_NAME") or "default",
            visibility_timeout_s=int(env.get("TASKER_VISIBILITY_TIMEOUT_SECONDS") or 30),
            completion_timeout_ms=int(env.get("TASKER_COMPLETION_TIMEOUT_MS") or 30_000),
            callback_timeout_ms=int(env.get("TASKER_CALLBACK_TIMEOUT_MS") or 5_000),
            concurrency=int(env.get("TASKER_MAX_CONCURRENT_HANDLERS") or 10),
            worker_id=env.get("TASKER_WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}",
            drain_timeout_s=drain_timeout_s,
        )
