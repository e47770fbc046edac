"""A framework application skeleton (tests/laravel_app, tests/symfony_app) copied to a temporary
directory, and the php commands that run it against the session Redis."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Self

import databases
from harness import RedisServer


class FrameworkApp:
    """The copy at `root`; `php()` runs a script there, `request()` its request.php front."""

    # Whether a request writes nothing on stderr (a PHP warning would show there).
    QUIET = True
    # The framework's console script (the celery:* commands).
    CONSOLE = ""

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

    @classmethod
    def copied(
        cls, skeleton: Path, directory: Path, autoload: Path, redis_server: RedisServer, **env: str
    ) -> Self:
        """`skeleton` copied to directory/app (where the framework writes its caches and logs)."""
        root = directory / "app"
        shutil.copytree(skeleton, root)
        return cls(root, autoload, redis_server, **env)

    def php(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["php", *args],
            cwd=self.root,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def console(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.php(self.CONSOLE, *args, env=env)

    def send_with_the_console(self) -> str:
        """celery:send tasks.add [4, 5], waited for, as JSON: it ran (9); its task id."""
        sent = self.console("celery:send", "tasks.add", "--args=[4, 5]", "--wait=20", "--json")
        assert sent.returncode == 0, sent.stdout + sent.stderr
        outcome = json.loads(sent.stdout)
        assert (outcome["state"], outcome["result"]) == ("SUCCESS", 9)
        return str(outcome["id"])

    def echo_is_hooked(self) -> None:
        """GET /echo: the task its controller sends carries the header x-tenant: acme, added by
        the skeleton's TenantHeader, a publish hook named in its configuration."""
        seen = self.request("/echo")
        assert seen["args"] == ["hooked"]
        headers = seen["request"].get("headers") or {}
        assert (headers.get("x-tenant") or seen["request_vars"].get("x-tenant")) == "acme"

    def add(self, log: str) -> str:
        """GET /add?x=2&y=3, whose controller sends tasks.add and reads its result (5): the
        framework's log file `log`, which must hold the client's PSR-3 line of that publish."""
        answer = self.request("/add?x=2&y=3")
        assert answer["value"] == 5
        text = (self.root / log).read_text()
        assert f'"task_id":"{answer["id"]}","task":"tasks.add","queue":"celery"' in text
        return text

    def request(self, uri: str, env: dict[str, str] | None = None) -> Any:
        """The JSON a GET of `uri` answers; the request must finish cleanly."""
        done = self.php("request.php", uri, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stderr == "" or not self.QUIET, done.stderr
        return json.loads(done.stdout)
