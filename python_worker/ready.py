"""CELERY_READY_FILE: once the worker is ready to take tasks (Celery's worker_ready signal) it
writes its pid to this file, so a script can wait for that event whatever the log level
(tests/run_with_worker.sh does)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import signals

READY_FILE_ENV = "CELERY_READY_FILE"


@signals.worker_ready.connect
def write_ready_file(**_: Any) -> None:
    path = os.environ.get(READY_FILE_ENV)
    if path:
        # Written then renamed, so that a reader never sees an empty file.
        partial = Path(path + ".partial")
        partial.write_text(f"{os.getpid()}\n")
        partial.replace(path)
