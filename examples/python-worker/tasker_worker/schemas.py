"""The protocol's JSON Schemas (docs/protocol/schemas), the single source of what a valid message is."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator

SCHEMA_DIR = Path(os.environ.get("TASKER_SCHEMA_DIR", Path(__file__).resolve().parents[3] / "docs/protocol/schemas"))
IDS = ("event_id", "task_uuid", "step_uuid")


@cache
def validator(name: str) -> Validator:
    """The validator of `<name>.schema.json` (draft 2020-12). Validators check; they do not fill in `default`s."""
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def problems(name: str, value: Any) -> list[str]:
    """Every reason `value` is not a valid `name` message, as `path: message`; empty when it is one."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator(name).iter_errors(value)]


def readable_ids(message: Any) -> bool:
    """Whether a dispatch message's ids can be answered: event_id, task_uuid and step_uuid valid by the dispatch
    schema's own id pattern, and correlation_id absent or valid too (the TypeScript worker's rule)."""
    if not isinstance(message, dict):
        return False
    properties = validator("step-dispatch-message").schema["properties"]
    fields = IDS + (("correlation_id",) if "correlation_id" in message else ())
    return all(field in message and Draft202012Validator(properties[field]).is_valid(message[field]) for field in fields)


def payload_problems(schema: dict[str, Any], payload: Any) -> list[str] | str:
    """A declared event schema's verdict on a payload: the problems (empty: valid), or why the schema is unusable."""
    cls = Draft7Validator if str(schema.get("$schema", "")).startswith("http://json-schema.org/draft-07") else Draft202012Validator
    try:
        cls.check_schema(schema)
    except SchemaError as error:
        return f"invalid schema: {error.message}"
    return [e.message for e in cls(schema).iter_errors(payload)]
