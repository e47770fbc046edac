"""examples/send_one.php against a real worker: a result, an unknown name, a PENDING task."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import databases
from harness import REPO_ROOT, CeleryWorker, RedisServer


@pytest.fixture(autouse=True)
def autoload(php_autoload: Path) -> None:
    """The example requires vendor/autoload.php: made by `composer dump-autoload` when missing."""


def send_one(redis_server: RedisServer, *args: str, timeout: str = "10") -> subprocess.CompletedProcess[str]:
    # Only the URLs and the timeout of the example, plus PATH as it is (php may be in
    # /usr/local/bin, as in the official image).
    env = {
        "CELERY_BROKER_URL": redis_server.url(databases.BROKER),
        "CELERY_RESULT_BACKEND": redis_server.url(databases.BACKEND),
        "TIMEOUT": timeout,
        "PATH": os.environ.get("PATH", os.defpath),
    }
    command = ["php", "examples/send_one.php", *args]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_send_one_prints_the_result(worker: CeleryWorker, redis_server: RedisServer) -> None:
    done = send_one(redis_server, "tasks.add", "2", "3")
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "result: 5", done.stdout + done.stderr


def test_send_one_explains_an_unknown_task_name(worker: CeleryWorker, redis_server: RedisServer) -> None:
    done = send_one(redis_server, "tasks.no_such_task")
    assert done.returncode == 1
    assert 'does not know a task named "tasks.no_such_task"' in done.stdout
    assert "inspect registered" in done.stdout


def test_send_one_runs_from_a_composer_install(
    worker: CeleryWorker, redis_server: RedisServer, tmp_path: Path
) -> None:
    """In a project, the script sits in vendor/celery-bridge/celery-bridge/examples/ and the
    autoloader in vendor/; a copy in the project's own bin/ finds it from the working directory."""
    project = tmp_path / "project"
    installed = project / "vendor" / "celery-bridge" / "celery-bridge" / "examples"
    installed.mkdir(parents=True)
    (project / "bin").mkdir()
    script = (REPO_ROOT / "examples" / "send_one.php").read_text()
    (installed / "send_one.php").write_text(script)
    (project / "bin" / "send_one.php").write_text(script)
    # Stands in for Composer's vendor/autoload.php of that project.
    (project / "vendor" / "autoload.php").write_text(f"<?php require '{REPO_ROOT}/vendor/autoload.php';\n")
    env = {
        "CELERY_BROKER_URL": redis_server.url(databases.BROKER),
        "CELERY_RESULT_BACKEND": redis_server.url(databases.BACKEND),
        "PATH": "/usr/bin:/bin",
    }

    for path in ("vendor/celery-bridge/celery-bridge/examples/send_one.php", "bin/send_one.php"):
        done = subprocess.run(
            ["php", path, "tasks.add", "2", "3"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, path + done.stdout + done.stderr
        assert done.stdout.splitlines()[-1] == "result: 5"

    lonely = tmp_path / "lonely"
    lonely.mkdir()
    (lonely / "send_one.php").write_text(script)
    elsewhere = subprocess.run(
        ["php", str(lonely / "send_one.php")], cwd=lonely, env=env, capture_output=True, text=True, timeout=60
    )
    assert elsewhere.returncode == 2 and "No Composer autoloader found" in elsewhere.stderr
