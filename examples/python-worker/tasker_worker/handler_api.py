"""What a step handler receives and how it says that it failed (the handler contract of the worker protocol)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable, Mapping


class PermanentError(Exception):
    """Retrying the same input can never succeed (bad input, a business refusal): the step fails for good."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class RetryableError(Exception):
    """A later attempt may succeed (a dependency is down, rate limited): retried while attempts remain."""

    def __init__(self, message: str, retry_after_ms: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.retry_after_ms = retry_after_ms
        self.code = code


@dataclass(frozen=True)
class StepContext:
    """One attempt of one step, as a handler sees it."""

    context: Mapping[str, Any]
    """The task's context (its input)."""
    config: Mapping[str, Any]
    """The step's handler.initialization from the task template."""
    dependency_results: Mapping[str, Any]
    """Results of the step's direct dependencies, by step name."""
    attempt: int
    max_attempts: int
    deadline: dt.datetime
    """After this instant the attempt is answered handler_timeout and whatever the handler returns is ignored."""
    cancelled: threading.Event
    """Set when the deadline passed (or the worker gave the step up): stop, the answer is already sent."""
    event_id: str
    task_uuid: str
    step_uuid: str
    step_name: str
    namespace: str
    correlation_id: str | None
    logger: logging.LoggerAdapter  # type: ignore[type-arg]


Handler = Callable[[StepContext], Any]
"""Returns a JSON value (the step's result) or raises: PermanentError, RetryableError, or any Exception (retryable)."""
