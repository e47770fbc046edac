"""Tasks whose results the PHP side reads back (issue 3: reading results).

Gates are Redis lists on the broker's server (CELERY_BRIDGE_RECORDS_URL overrides it), so a test
decides when a task may finish by pushing to a list, never by sleeping.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import signal
import uuid
from typing import Any

import kombu
import redis
from celery.exceptions import Ignore, Reject

from python_worker.celery_app import app
from python_worker.config import records_url

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))

# One value per kind; the PHP tests check each one arrives with the right PHP type and value.
SAMPLES: dict[str, Any] = {
    "null": None,
    "true": True,
    "false": False,
    "int": 42,
    "int_negative": -7,
    "int64_max": 2**63 - 1,
    "int64_min": -(2**63),
    "bigint": 2**64 + 1,
    "bigint_negative": -(2**70),
    "float": 3.25,
    "float_whole": 2.0,
    "float_tiny": 5e-324,
    "float_huge": 1.5e300,
    "nan": float("nan"),
    "inf": float("inf"),
    "-inf": float("-inf"),
    "str": "hello",
    "str_unicode": "h\u00e9llo \u2603 \U0001f600",
    "str_escapes": 'quote " backslash \\ newline \n tab \t nul \x00',
    "str_nan": "NaN",
    "str_infinity": "-Infinity",
    "list": [1, "two", 3.5, None, True],
    "tuple": (1, 2),
    "empty_list": [],
    "empty_dict": {},
    "dict": {"a": 1, "b": [True, None], "c": {"d": "e"}},
    "int_keys": {1: "one", 2: "two"},
    "nested": [[[[[["deep"]]]]]],
    # timezone.utc, not dt.UTC: the matrix runs this worker on Python 3.8 too.
    "datetime": dt.datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone.utc),  # noqa: UP017
    "datetime_offset": dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=IST),
    "datetime_naive": dt.datetime(2030, 1, 2, 3, 4, 5, 6),
    "date": dt.date(2030, 1, 2),
    "time": dt.time(3, 4, 5, 123456),
    "decimal": decimal.Decimal("12345678901234567890.123456789"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "bytes": b"hello",
    "bytes_binary": b"\x00\xff\xfe\x80",
    "marker_lookalike": {"__type__": "datetime", "__value__": "x", "extra": 1},
    "markers_nested": {"when": [dt.date(2030, 1, 2)], "nan_in_list": [float("nan"), 1]},
}


def _gates() -> redis.Redis:
    return redis.Redis.from_url(records_url(app.conf.broker_url))


# kombu before 5.3 has no JSON form for bytes (EncodeError), so "all" leaves them out there.
BYTES_IN_JSON = tuple(kombu.VERSION[:2]) >= (5, 3)


@app.task(name="tasks.returns")
def returns(kind: str) -> Any:
    """Return SAMPLES[kind], or every sample as one mapping for kind "all"."""
    if kind == "all":
        return {key: value for key, value in SAMPLES.items() if BYTES_IN_JSON or not isinstance(value, bytes)}
    return SAMPLES[kind]


@app.task(name="tasks.identity")
def identity(value: Any) -> Any:
    """Return the argument at once: the fastest possible task."""
    return value


@app.task(name="tasks.retry_until", bind=True, max_retries=None)
def retry_until(self: Any, gate: str, value: Any) -> dict[str, Any]:
    """Retry (state RETRY) every 50 ms until the list `gate` is non-empty, then return value."""
    if not _gates().exists(gate):
        raise self.retry(countdown=0.05, exc=LookupError(f"gate {gate} is closed"))
    return {"value": value, "retries": self.request.retries}


@app.task(name="tasks.wait_for")
def wait_for(gate: str, started: str | None = None, timeout: float = 30.0) -> Any:
    """Push the worker pid to `started` (if given), then BLPOP `gate` and return what was pushed."""
    client = _gates()
    if started:
        client.rpush(started, os.getpid())
    item = client.blpop([gate], timeout=max(1, int(timeout)))  # Redis before 6.0: whole seconds
    if item is None:
        raise TimeoutError(f"nothing was pushed to {gate} within {timeout}s")
    return item[1].decode()


@app.task(name="tasks.ignored", ignore_result=True)
def ignored(value: Any) -> Any:
    """A task whose result is never stored."""
    return value


@app.task(name="tasks.progress", bind=True)
def progress(self: Any, gate: str, done: int) -> str:
    """Store a custom state PROGRESS with meta {"done": done}, wait for `gate`, then finish."""
    self.update_state(state="PROGRESS", meta={"done": done})
    _gates().blpop([gate], timeout=30)
    return "finished"


@app.task(name="tasks.retry_plain", bind=True, max_retries=None)
def retry_plain(self: Any, gate: str, value: Any) -> Any:
    """`raise self.retry()` without exc=: Celery stores RETRY with a null result."""
    if not _gates().exists(gate):
        raise self.retry(countdown=0.05)
    return value


@app.task(name="tasks.fail_with_meta", bind=True)
def fail_with_meta(self: Any) -> None:
    """update_state(FAILURE) with a meta of its own, then Ignore: no exception is stored."""
    self.update_state(state="FAILURE", meta={"reason": "custom"})
    raise Ignore()


@app.task(name="tasks.revoked_bare", bind=True)
def revoked_bare(self: Any) -> None:
    """REVOKED stored without exception details, through the backend's own API."""
    self.backend.store_result(self.request.id, None, "REVOKED")
    raise Ignore()


@app.task(name="tasks.die")
def die() -> None:
    """The pool process kills itself: a prefork worker stores FAILURE with WorkerLostError."""
    os.kill(os.getpid(), signal.SIGKILL)


@app.task(name="tasks.reject")
def reject() -> None:
    """Reject(requeue=False): the message is dropped and the worker stores FAILURE (Reject)."""
    raise Reject("not for this worker", requeue=False)


@app.task(name="tasks.spawn")
def spawn(n: int) -> str:
    """Sends tasks.add(n, n), then tasks.add(1, 1): Celery records both as this task's children."""
    app.send_task("tasks.add", (n, n))
    app.signature("tasks.add", (1, 1)).delay()
    return "spawned"


@app.task(name="tasks.progress_steps", bind=True)
def progress_steps(self: Any, gate: str, steps: int) -> str:
    """update_state(PROGRESS, {"done": i, "total": steps}) for each step, each time waiting for `gate`."""
    for done in range(1, steps + 1):
        self.update_state(state="PROGRESS", meta={"done": done, "total": steps})
        if _gates().blpop([gate], timeout=30) is None:
            raise TimeoutError(f"nothing was pushed to {gate} after step {done}")
    return "done"
