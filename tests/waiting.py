"""One way for a test to wait for something another process does: poll, and fail the test
with what was awaited, either when the time is up or as soon as the process that was to do it
has ended (waiting longer could not help, and its output says why)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def until(
    condition: Callable[[], T],
    timeout: float,
    what: str,
    *,
    ended: Callable[[], str | None] | None = None,
    interval: float = 0.05,
) -> T:
    """Poll `condition` until it returns something truthy, and return that.

    `ended`, when given, returns None while the process that is to make `condition` true runs,
    and a description of how it ended (exit code, output) once it has.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        gone = ended() if ended is not None else None
        if gone is not None:
            pytest.fail(f"waiting for {what}: the process ended first:\n{gone}", pytrace=False)
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}", pytrace=False)
        time.sleep(interval)
