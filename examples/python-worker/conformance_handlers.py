"""The conformance handler set (docs/protocol/worker-protocol.md, "The conformance kit"), for the reference worker."""

from __future__ import annotations

from typing import Any

from tasker_worker import Handler, PermanentError, RetryableError, StepContext


def echo(step: StepContext) -> dict[str, Any]:
    return {"context": step.context, "dependency_results": step.dependency_results, "config": step.config, "attempt": step.attempt}


def fail_permanent(step: StepContext) -> None:
    raise PermanentError(str(step.context.get("message", "refused")), code="conformance_refused")


def fail_retryable(step: StepContext) -> None:
    raise RetryableError(str(step.context.get("message", "busy")), retry_after_ms=step.context.get("retry_after_ms"), code="conformance_busy")


def sleep(step: StepContext) -> dict[str, Any]:
    ms = int(step.context.get("ms", 0))
    step.cancelled.wait(ms / 1000)  # returns early when the worker gave up on it
    return {"slept_ms": ms}


def big(step: StepContext) -> dict[str, Any]:
    return {"data": "x" * int(step.context.get("bytes", 0))}


HANDLERS: dict[str, Handler] = {
    "conformance.echo": echo,
    "conformance.fail_permanent": fail_permanent,
    "conformance.fail_retryable": fail_retryable,
    "conformance.sleep": sleep,
    "conformance.big": big,
}
