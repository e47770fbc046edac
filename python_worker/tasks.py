"""The tasks PHP calls in tests and in the demo.

Every task has an explicit name= so the name PHP sends never depends on this module's path.
To add tasks, add them here or in a new module listed in python_worker.TASK_MODULES.
"""

from __future__ import annotations

import os
import time
from typing import Any

from python_worker.celery_app import app
from python_worker.errors import PaymentDeclined
from python_worker.introspect import describe_call
from python_worker.records import push_record


@app.task(name="tasks.add")
def add(x: Any, y: Any) -> Any:
    return x + y


@app.task(name="tasks.mul")
def mul(x: Any, y: Any) -> Any:
    return x * y


@app.task(name="tasks.xsum")
def xsum(numbers: list[Any]) -> Any:
    return sum(numbers)


@app.task(name="tasks.echo", bind=True)
def echo(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Return what the task received: args, kwargs, their Python types, and the request."""
    return describe_call(self, args, kwargs)


@app.task(name="tasks.record", bind=True)
def record(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """As tasks.echo, plus the time it ran; also RPUSHed to the records list on the broker's Redis."""
    event = describe_call(self, args, kwargs)
    event["time"] = time.time()
    push_record(self.app.conf.broker_url, event)
    return event


@app.task(name="tasks.sleep")
def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@app.task(name="tasks.fail")
def fail(message: str) -> None:
    raise ValueError(message)


@app.task(name="tasks.fail_custom")
def fail_custom(message: str) -> None:
    raise PaymentDeclined(message)


# Canvas callbacks (issue 4). Both are bound tasks, so a worker always publishes them as
# messages (an unbound errback taking several arguments would be called inline instead).
@app.task(name="tasks.log", bind=True)
def log(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """A link callback: records what it received (the parent's return value comes first)."""
    return _record(self, args, kwargs)


@app.task(name="tasks.on_error", bind=True)
def on_error(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """A link_error callback: records what it received (the failed task's id comes first)."""
    return _record(self, args, kwargs)


def _record(task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    event = describe_call(task, args, kwargs)
    event["time"] = time.time()
    push_record(task.app.conf.broker_url, event)
    return event


@app.task(name="tasks.record_then_sleep", bind=True)
def record_then_sleep(self: Any, seconds: float) -> float:
    """Records that it started (with its pid), then sleeps: a task to revoke while it runs."""
    event = describe_call(self, (seconds,), {})
    event["pid"] = os.getpid()
    push_record(self.app.conf.broker_url, event)
    time.sleep(seconds)
    return seconds


@app.task(name="tasks.record_quietly", bind=True, ignore_result=True)
def record_quietly(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """As tasks.record, but declared ignore_result=True: its own setting, not the caller's."""
    return _record(self, args, kwargs)


@app.task(name="tasks.reprs")
def reprs(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """Python's repr() of each argument as the task received it (docs/php-values.md's table)."""
    return {"args": [repr(arg) for arg in args], "kwargs": {k: repr(v) for k, v in kwargs.items()}}
