"""The life of a server or worker a fixture provides: started before the tests, stopped after.

A HarnessError while starting fails the fixture's tests with the harness's message (no Python
traceback: the message already names the process and its log), after `failed` has cleaned up
what did start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from harness import HarnessError


@contextmanager
def running(
    start: Callable[[], object], stop: Callable[[], object], failed: Callable[[], object] | None = None
) -> Iterator[None]:
    """start(), then the block (the fixture's yield), then stop() however the tests ended."""
    try:
        start()
    except HarnessError as error:
        if failed is not None:
            failed()
        pytest.fail(str(error), pytrace=False)
    try:
        yield
    finally:
        stop()
