"""The messages a worker writes: results, start markers, poison entries, domain events and parked events."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from typing import Any

MAX_RESULT_BYTES = 200_000
MAX_EVENT_ENTRY_BYTES = 262_144
MAX_MESSAGE_CHARS = 4_000
MAX_DEPTH = 100

MATCHES = {
    "success": {"success"},
    "failure": {"retryable_failure", "permanent_failure"},
    "retryable_failure": {"retryable_failure"},
    "permanent_failure": {"permanent_failure"},
    "always": {"success", "retryable_failure", "permanent_failure"},
}


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def error(error_type: str, message: str, retryable: bool, code: str | None = None, retry_after_ms: int | None = None) -> dict[str, Any]:
    """A result's `error`; every key written, since validators do not apply the schema's defaults."""
    return {
        "error_type": error_type,
        "message": storable_text(message)[:MAX_MESSAGE_CHARS],
        "retryable": retryable,
        "retry_after_ms": retry_after_ms,
        "code": None if code is None else storable_text(code),
    }


def result(msg: dict[str, Any], started: dt.datetime, worker_id: str, value: Any = None, err: dict[str, Any] | None = None) -> dict[str, Any]:
    """A StepExecutionResult for the dispatch `msg`: success with `value`, or failure with `err`."""
    done = now()
    return {
        "schema_version": 1,
        "message_type": "step_result",
        "event_id": msg["event_id"],
        "task_uuid": msg["task_uuid"],
        "step_uuid": msg["step_uuid"],
        "correlation_id": msg.get("correlation_id"),
        "step_name": msg.get("step_name") if isinstance(msg.get("step_name"), str) and msg.get("step_name") else None,
        "attempt": msg.get("attempt") if isinstance(msg.get("attempt"), int) and msg["attempt"] >= 1 else None,
        "status": "success" if err is None else "failure",
        "result": value if err is None else None,
        "error": err,
        "timing": {"started_at": iso(started), "completed_at": iso(done), "duration_ms": max(0, round((done - started).total_seconds() * 1000))},
        "worker": {"worker_id": worker_id, "kind": "pull"},
    }


def sized(res: dict[str, Any]) -> dict[str, Any]:
    """The result, or a result_too_large failure in its place when its JSON is over 200 000 bytes."""
    size = len(json.dumps(res).encode("utf-8"))
    if size <= MAX_RESULT_BYTES:
        return res
    started = parse_time(res["timing"]["started_at"])
    msg = {k: res[k] for k in ("event_id", "task_uuid", "step_uuid", "correlation_id", "step_name", "attempt")}
    return result(msg, started, res["worker"]["worker_id"], err=error("result_too_large", f"the result is {size} bytes serialized; the limit is {MAX_RESULT_BYTES}", False))


def unstorable(value: Any, path: str = "$", depth: int = 0) -> tuple[str, str] | None:
    """Why PostgreSQL jsonb cannot store `value` (code, place), or None: NUL, lone surrogates, non-finite numbers, depth."""
    if depth > MAX_DEPTH:
        return "too_deep", path
    if isinstance(value, float) and not math.isfinite(value):
        return "non_finite_number", path
    if isinstance(value, str):
        return _text_problem(value, path)
    if isinstance(value, dict):
        for key, item in value.items():
            found = _text_problem(str(key), f"{path}.{key}") or unstorable(item, f"{path}.{key}", depth + 1)
            if found:
                return found
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = unstorable(item, f"{path}[{i}]", depth + 1)
            if found:
                return found
    return None


def _text_problem(text: str, path: str) -> tuple[str, str] | None:
    if "\x00" in text:
        return "nul_character", path
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return "lone_surrogate", path
    return None


def storable_text(text: str) -> str:
    return "".join("\ufffd" if c == "\x00" or 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def start_marker(msg: dict[str, Any], first: dt.datetime, receive_count: int, worker_id: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "message_type": "step_started",
        "event_id": msg["event_id"],
        "task_uuid": msg["task_uuid"],
        "step_uuid": msg["step_uuid"],
        "started_at": iso(first),
        "receive_count": max(1, receive_count),
        "worker_id": worker_id,
    }


def poison(body: str, code: str, reason: str, source_queue: str, message_id: str | None) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "message_type": "poison",
        "reason": reason[:MAX_MESSAGE_CHARS],
        "error_code": code,
        "source_queue": source_queue,
        "source_message_id": message_id,
        "original_body": body,
        "moved_at": iso(now()),
    }


def outcome(msg: dict[str, Any], res: dict[str, Any]) -> str:
    if res["status"] == "success":
        return "success"
    retry = res["error"]["retryable"] and msg["retryable"] and msg["attempt"] < msg["max_attempts"]
    return "retryable_failure" if retry else "permanent_failure"


def event_entry(msg: dict[str, Any], res: dict[str, Any], name: str, out: str, bus: str) -> dict[str, Any]:
    """The PutEvents entry of the declared event `name`; its id is UUIDv5(dispatch event_id, name)."""
    detail = {
        "schema_version": 1,
        "event_id": str(uuid.uuid5(uuid.UUID(msg["event_id"]), name)),
        "event_name": name,
        "event_version": msg["task_version"],
        "payload": res["result"] if res["status"] == "success" else res["error"],
        "error": res["error"],
        "metadata": {
            "task_uuid": msg["task_uuid"],
            "step_uuid": msg["step_uuid"],
            "step_name": msg["step_name"],
            "namespace": msg["namespace"],
            "task_name": msg["task_name"],
            "correlation_id": msg["correlation_id"],
            "source_event_id": msg["event_id"],
            "attempt": msg["attempt"],
            "outcome": out,
            "fired_at": iso(now()),
        },
    }
    return {"EventBusName": bus, "Source": f"tasker.{msg['namespace']}", "DetailType": name, "Detail": json.dumps(detail)}


def entry_bytes(entry: dict[str, Any]) -> int:
    return sum(len(str(entry.get(k, "")).encode("utf-8")) for k in ("Source", "DetailType", "Detail"))


def parked(entry: dict[str, Any], code: str, reason: str) -> dict[str, Any]:
    detail = json.loads(entry["Detail"])
    return {
        "schema_version": 1,
        "message_type": "parked_domain_event",
        "error_code": code,
        "reason": reason[:MAX_MESSAGE_CHARS],
        "event_id": detail["event_id"],
        "event_name": detail["event_name"],
        "entry": entry,
        "parked_at": iso(now()),
    }


def dynamic_problem(spec: dict[str, Any] | None, value: Any) -> tuple[str, str] | None:
    """Why a decision's or batchable step's result would be refused (the message's `dynamic`), or None."""
    if not spec:
        return None
    if spec["type"] == "decision":
        activate = value.get("activate") if isinstance(value, dict) else None
        if not isinstance(activate, list) or not all(isinstance(a, str) for a in activate):
            return "invalid_decision", "a decision must return { activate: [step names] }"
        unknown = [a for a in activate if a not in spec["dependents"]]
        if unknown:
            known = ", ".join(spec["dependents"]) or "none"
            return "invalid_decision", f"the decision activates {', '.join(unknown)}, not among its dependents ({known})"
        return None
    batches = value.get("batches") if isinstance(value, dict) else None
    if not isinstance(batches, list):
        return "invalid_batches", "a batchable step must return { batches: [cursor, ...] }"
    if len(batches) > spec["max_batches"]:
        return "invalid_batches", f"the step returned {len(batches)} batches, over its max_batches of {spec['max_batches']}"
    return None
