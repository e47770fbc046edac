"""External-services mode (tests/external.py), end to end: a redis-server and a worker started
here as plain subprocesses, outside the harness, and a nested pytest run of the smoke and
publish suites pointed at them, as docker-compose's test profile and a user's own setup do."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from external import REDIS_ENV, SKIP_PREFIX, WORKER_ENV
from harness import REPO_ROOT, free_port
from waiting import until

SUITES = ["tests/test_smoke.py", "tests/test_publish_options.py", "tests/test_examples.py"]
NESTED = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
SESSION_CONFIG = {"accept_content": ["json", "msgpack", "yaml"]}


def wait_for(condition, timeout: float, what: str, process: subprocess.Popen[bytes], log: Path) -> None:
    def exited() -> str | None:
        if process.poll() is None:
            return None
        return f"exit code {process.returncode}:\n{log.read_text()[-3000:]}"

    until(condition, timeout, what, ended=exited)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def outside_services(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """(port, worker log) of a redis-server and a python_worker worker started without the harness."""
    port = free_port()
    redis_log = tmp_path / "redis.log"
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path), "--logfile", str(redis_log)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
    )
    worker: subprocess.Popen[bytes] | None = None
    try:
        redis_log.touch()

        def pong() -> bool:
            try:
                return bool(redis.Redis(port=port, socket_timeout=1).ping())
            except redis.ConnectionError:
                return False

        wait_for(pong, 10, "redis-server to answer PING", server, redis_log)
        worker_log = tmp_path / "worker.log"
        ready = tmp_path / "ready"
        env = {
            **os.environ,
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
            "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{port}/1",
            "CELERY_CONFIG_JSON": json.dumps(SESSION_CONFIG),
            "CELERY_READY_FILE": str(ready),
        }
        with worker_log.open("wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "python_worker", "worker", "--pool", "solo",
                 "--hostname", "outside@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "--loglevel", "INFO"],
                cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(ready.exists, 30, "the worker's ready file", worker, worker_log)
        yield port, worker_log
    finally:
        if worker is not None:
            stop(worker)
        stop(server)


def test_smoke_and_publish_suites_pass_against_services_the_harness_did_not_start(
    outside_services: tuple[int, Path], tmp_path: Path
) -> None:
    port, worker_log = outside_services
    # php first on PATH is a wrapper that logs its arguments: every PHP run, the examples' too,
    # must find php through PATH (it is in /usr/local/bin in the official image).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "php-calls"
    wrapper = bin_dir / "php"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {shutil.which("php")} "$@"\n')
    wrapper.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        REDIS_ENV: f"redis://127.0.0.1:{port}",
        WORKER_ENV: "1",
    }
    done = subprocess.run(
        [*NESTED, "--basetemp", str(tmp_path / "nested"), *SUITES],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=90, check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    summary = re.search(r"(\d+) passed(?:, (\d+) skipped)?", out)
    assert summary and int(summary[1]) >= 5, out
    # The skipped tests are named, with the reason, and counted in one summary line.
    skipped = rf"SKIPPED \[1\] tests/test_publish_options.py:\d+: \w+: {SKIP_PREFIX} .*worker_factory"
    assert re.search(skipped, out), out
    assert f"{SKIP_PREFIX}: {summary[2]} test(s) skipped" in out, out
    # The outside worker ran the suites' tasks (the nested harness started none of its own).
    assert re.search(r"Task tasks\.record\[[0-9a-f-]+\] received", worker_log.read_text()), out
    assert "external services: Redis redis://127.0.0.1" in out
    assert "examples/send_one.php tasks.add 2 3" in calls.read_text()


def test_an_external_worker_without_an_external_redis_is_refused(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != REDIS_ENV}
    done = subprocess.run(
        [*NESTED, "-q", "--basetemp", str(tmp_path / "nested"), "tests/test_smoke.py"],
        cwd=REPO_ROOT, env={**env, WORKER_ENV: "1"}, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert f"{WORKER_ENV} is set but {REDIS_ENV} is not" in done.stderr
