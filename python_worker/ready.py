"""CELERY_READY_FILE: a file that exists, and is fresh, while the worker consumes.

The worker writes its pid to the file once it is ready to take tasks (Celery's worker_ready
signal), so a script can wait for that event whatever the log level (tests/run_with_worker.sh
does). While the consumer runs, a timer on the consumer's own event loop rewrites the file every
HEARTBEAT_SECONDS; when the consumer stops (broker connection lost: Celery restarts the
consumer's steps, which stops this one) or the worker shuts down, the file is removed. So "the
file was modified in the last few seconds" means: connected to the broker, and its event loop
turns. docker-compose.yml's healthcheck reads that with `find -newermt`, at no Python cost.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from celery import bootsteps, signals

READY_FILE_ENV = "CELERY_READY_FILE"
HEARTBEAT_SECONDS = 5.0


def _path() -> Path | None:
    path = os.environ.get(READY_FILE_ENV)
    return Path(path) if path else None


def write_ready_file() -> None:
    path = _path()
    if path is not None:
        # Written then renamed, so that a reader never sees an empty file.
        partial = path.with_name(path.name + ".partial")
        partial.write_text(f"{os.getpid()}\n")
        partial.replace(path)


@signals.worker_ready.connect
def on_worker_ready(**_: Any) -> None:
    write_ready_file()


class ReadyFileHeartbeat(bootsteps.StartStopStep):
    """A consumer step after Tasks: it starts once the task consumer consumes, and is stopped
    with the other consumer steps when the connection to the broker is lost."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.enabled = _path() is not None
        self.entry: Any = None

    def start(self, parent: Any) -> None:
        write_ready_file()
        # parent.timer is the event loop's timer (the hub's) with the Redis transport, so the
        # beat stops when the loop stops turning, as a remote-control ping would go unanswered.
        self.entry = parent.timer.call_repeatedly(HEARTBEAT_SECONDS, write_ready_file)

    def stop(self, parent: Any) -> None:
        if self.entry is not None:
            self.entry.cancel()
            self.entry = None
        path = _path()
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    shutdown = stop


def install(app: Any) -> None:
    app.steps["consumer"].add(ReadyFileHeartbeat)
