"""`bin/celery-bridge` run as an operator runs it: a subprocess with only the environment given,
its exit code, stdout and stderr (test_cli.py, test_control_commands.py, test_event_stream.py)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

from harness import REPO_ROOT

CLI = str(REPO_ROOT / "bin" / "celery-bridge")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def cli(*args: str, broker: str | None, backend: str | None = None, timeout: float = 30) -> Run:
    env = {"PATH": "/usr/bin:/bin"}
    if broker is not None:
        env["CELERY_BROKER_URL"] = broker
    if backend is not None:
        env["CELERY_RESULT_BACKEND"] = backend
    done = subprocess.run(["php", CLI, *args], capture_output=True, text=True, env=env, timeout=timeout)
    return Run(done.returncode, done.stdout, done.stderr)
