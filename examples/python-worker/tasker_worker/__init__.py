"""A tasker step worker in Python: the reference implementation of docs/protocol/worker-protocol.md."""

from .handler_api import Handler, PermanentError, RetryableError, StepContext

__all__ = ["Handler", "PermanentError", "RetryableError", "StepContext"]
