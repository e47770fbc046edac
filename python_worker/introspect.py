"""Turn a task call into a JSON-able description the tests can assert on.

Used by tasks.echo and tasks.record; other task modules may reuse it.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import uuid
from collections.abc import Mapping
from typing import Any

from celery.signals import celeryd_after_setup

# Task.request attributes worth showing. Most come straight from the message headers
# (protocol 2) or properties; `headers` holds only the custom, non-Celery header keys.
REQUEST_FIELDS = (
    "id",
    "task",
    "retries",
    "timelimit",
    "shadow",
    "root_id",
    "parent_id",
    "group",
    "group_index",
    "eta",
    "expires",
    "headers",
    "delivery_info",
    "hostname",
    "correlation_id",
    "reply_to",
    "origin",
    "ignore_result",
    "replaced_task_nesting",
    "stamped_headers",
    "stamps",
)


# The worker's node name (--hostname), set before the pool forks. request.hostname would do,
# but Celery 5.0 reports the machine's name there instead of the node's.
_node: dict[str, str] = {}


@celeryd_after_setup.connect
def _remember_node(sender: str, **_: Any) -> None:
    _node["name"] = sender


def type_of(value: Any) -> Any:
    """Python type name of a value, recursing into containers.

    Scalars give their type name ('int', 'float', 'str', 'bool', 'NoneType', 'datetime',
    'Decimal', 'UUID', 'bytes', ...). A list or tuple gives {'list': [types of items]}
    (or 'tuple'), a dict gives {'dict': {key: type of value}}.
    """
    if isinstance(value, (list, tuple)):
        return {type(value).__name__: [type_of(item) for item in value]}
    if isinstance(value, Mapping):
        return {"dict": {str(key): type_of(item) for key, item in value.items()}}
    return type(value).__name__


def to_jsonable(value: Any) -> Any:
    """A JSON-serializable copy of value: dates as isoformat, Decimal/UUID as text, bytes decoded."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(item) for item in value]
    return repr(value)


def describe_call(task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """What a bound task received: its arguments, their Python types and its request context."""
    request = task.request
    return {
        "args": to_jsonable(list(args)),
        "kwargs": to_jsonable(kwargs),
        "arg_types": [type_of(arg) for arg in args],
        "kwarg_types": {key: type_of(arg) for key, arg in kwargs.items()},
        "request": {field: to_jsonable(getattr(request, field, None)) for field in REQUEST_FIELDS},
        "node": _node.get("name"),
        # Every attribute of the request: Celery before 5.3 sets each custom header as one.
        "request_vars": {key: to_jsonable(value) for key, value in vars(request).items()},
    }
