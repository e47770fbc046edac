"""PHP processes for the tests: a script run with every diagnostic on stderr, its outcome, and
the preamble the inline scripts share. Scripts longer than a few lines live in tests/php/,
where php -l and phpcs see them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from harness import REPO_ROOT, HarnessError

# PHP scripts the tests run as they are (run_php.file()), linted with the library.
PHP_SCRIPTS = REPO_ROOT / "tests" / "php"


@dataclass(frozen=True)
class PhpResult:
    """The outcome of one PHP script run."""

    stdout: str
    stderr: str
    returncode: int
    script: Path
    command: list[str] = field(default_factory=list)

    def json(self) -> Any:
        """stdout parsed as JSON."""
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as error:
            raise HarnessError(f"PHP stdout is not JSON ({error}):\n{self.describe()}") from error

    def describe(self) -> str:
        return (
            f"script: {self.script}\nexit code: {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


# What PHP writes on stderr (display_errors=stderr, log_errors=0) for a non-fatal diagnostic.
# A preamble that loads tests/php/result_view.php, which describes a PHP value as JSON with its
# PHP type (so Python can check both), and makes $celery with the broker and the backend.
PHP_VIEW = (
    f"require '{PHP_SCRIPTS / 'result_view.php'}';\n"
    "$celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);\n"
)

PHP_DIAGNOSTIC = re.compile(r"^(?:PHP )?(Warning|Notice|Deprecated|Strict Standards|User \w+):", re.MULTILINE)


PHP_PREAMBLE = """<?php
declare(strict_types=1);
require {autoload};
use CeleryBridge\\CeleryClient;
$brokerUrl = getenv('CELERY_BROKER_URL');
$backendUrl = getenv('CELERY_RESULT_BACKEND') ?: null;
"""


PHP_FLAGS = ["-d", "display_errors=stderr", "-d", "log_errors=0", "-d", "error_reporting=-1"]


def php_script(code: str) -> str:
    """The full text of a script: the preamble (autoload, `use CeleryClient`, URLs) + code."""
    autoload = "'" + str(REPO_ROOT / "vendor" / "autoload.php").replace("'", "\\'") + "'"
    return PHP_PREAMBLE.format(autoload=autoload) + code + "\n"


def run_php_script(
    script: Path,
    env: Mapping[str, str | None],
    timeout: float,
    php: str = "php",
    php_args: Sequence[str] = (),
    args: Sequence[str] = (),
) -> PhpResult:
    """Run `php` on a script file with every diagnostic shown on stderr."""
    full_env = dict(os.environ)
    for key, value in env.items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    command = [php, *PHP_FLAGS, *php_args, str(script), *args]
    try:
        done = subprocess.run(
            command,
            cwd=REPO_ROOT,
            env=full_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        out = (error.stdout or b"").decode(errors="replace")
        err = (error.stderr or b"").decode(errors="replace")
        raise HarnessError(
            f"PHP did not finish within {timeout}s: {script}\n--- stdout ---\n{out}\n--- stderr ---\n{err}"
        ) from error
    return PhpResult(
        stdout=done.stdout.decode(errors="replace"),
        stderr=done.stderr.decode(errors="replace"),
        returncode=done.returncode,
        script=script,
        command=command,
    )


def php_get_listening(
    client: redis.Redis, channel: str, start: Callable[[], Future[PhpResult]], timeout: float = 10.0
) -> Future[PhpResult]:
    """Start a PHP get() (start() submits it) and return once it listens on `channel`.

    A fresh process GETs the key, SUBSCRIBEs, and GETs the key again before it listens. Once the
    server has a subscriber and has run both GETs, whatever is published on the channel can only
    reach PHP through the channel.
    """

    def get_calls() -> int:
        return client.info("commandstats").get("cmdstat_get", {}).get("calls", 0)

    before = get_calls()
    waiter = start()
    deadline = time.monotonic() + timeout
    while client.pubsub_numsub(channel)[0][1] == 0 or get_calls() < before + 2:
        if waiter.done():
            raise HarnessError(f"PHP finished before it listened on {channel}: {waiter.result()!r}")
        if time.monotonic() > deadline:
            raise HarnessError(f"PHP did not subscribe to {channel} and read the key within {timeout}s")
        time.sleep(0.01)
    return waiter


def ensure_autoload(timeout: float = 120.0) -> Path:
    """Run `composer dump-autoload` when vendor/autoload.php is missing; return its path."""
    autoload = REPO_ROOT / "vendor" / "autoload.php"
    if autoload.exists():
        return autoload
    composer = shutil.which("composer")
    if composer is None:
        raise HarnessError(
            "vendor/autoload.php is missing and composer is not installed: run `make install`."
        )
    env = {**os.environ, "COMPOSER_ALLOW_SUPERUSER": "1", "COMPOSER_NO_INTERACTION": "1"}
    done = subprocess.run(
        [composer, "dump-autoload", "--dev", "--no-interaction"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0 or not autoload.exists():
        raise HarnessError(
            f"composer dump-autoload failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return autoload
