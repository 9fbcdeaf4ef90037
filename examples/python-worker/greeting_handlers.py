"""The Python step of greeting/greet_person: `python worker.py --namespace pyw --handlers greeting_handlers.py`."""

from __future__ import annotations

from typing import Any

from tasker_worker import Handler, PermanentError, StepContext


def greet(step: StepContext) -> dict[str, Any]:
    name = step.dependency_results.get("prepare", {}).get("name")
    if not name:
        raise PermanentError("the prepare step gave no name", code="no_name")
    return {"greeting": f"{step.config.get('salutation', 'Hello')}, {name}!", "by": "python"}


HANDLERS: dict[str, Handler] = {"pyw.greet": greet}
