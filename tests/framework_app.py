"""A framework application skeleton (tests/laravel_app, tests/symfony_app) copied to a temporary
directory, and the php commands that run it against the session Redis."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import databases
from harness import RedisServer


class FrameworkApp:
    """The copy at `root`; `php()` runs a script there, `request()` its request.php front."""

    # Whether a request writes nothing on stderr (a PHP warning would show there).
    QUIET = True

    def __init__(self, root: Path, autoload: Path, redis_server: RedisServer, **env: str) -> None:
        self.root = root
        self.env = {
            # PATH as it is: php may be in /usr/local/bin (the official image).
            "PATH": os.environ.get("PATH", os.defpath),
            "CELERY_BRIDGE_AUTOLOAD": str(autoload),
            "CELERY_BROKER_URL": redis_server.url(databases.BROKER),
            "CELERY_RESULT_BACKEND": redis_server.url(databases.BACKEND),
            **env,
        }

    def php(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["php", *args],
            cwd=self.root,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def request(self, uri: str, env: dict[str, str] | None = None) -> Any:
        """The JSON a GET of `uri` answers; the request must finish cleanly."""
        done = self.php("request.php", uri, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stderr == "" or not self.QUIET, done.stderr
        return json.loads(done.stdout)
