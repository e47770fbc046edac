"""What docker-compose.yml's worker healthcheck reads, on real workers: the ready file is fresh
while the worker consumes and gone when it lost its broker; with compose's settings a worker that
cannot reach its broker exits soon, saying which broker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import databases
from harness import REPO_ROOT, CeleryWorker, HarnessError, free_port
from python_worker.ready import HEARTBEAT_SECONDS, READY_FILE_ENV
from waiting import until


def mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def compose_worker_config() -> dict[str, Any]:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    return json.loads(compose["services"]["worker"]["environment"]["CELERY_CONFIG_JSON"])


def test_ready_file_is_refreshed_while_consuming_and_removed_without_a_broker(
    redis_factory, worker_factory, tmp_path: Path
) -> None:
    server = redis_factory()
    ready = tmp_path / "ready"
    worker = worker_factory(
        server.url(databases.BROKER), server.url(databases.BACKEND), env={READY_FILE_ENV: str(ready)}
    )
    first = until(lambda: mtime(ready), 10, "the ready file")
    assert ready.read_text().strip() == str(worker.pid)

    # Rewritten by the consumer's timer: a newer modification time within a few beats.
    until(lambda: (mtime(ready) or 0) > first, 4 * HEARTBEAT_SECONDS, "the ready file to be refreshed")

    # Broker gone: Celery stops the consumer's steps, and the file goes with them.
    server.stop()
    until(lambda: not ready.exists(), 30, "the ready file to be removed after the broker went away")

    # Broker back on the same port: the consumer reconnects and the file is there again.
    server.restart()
    until(ready.exists, 60, "the ready file after the worker reconnected")
    assert worker.running


def test_compose_worker_gives_up_on_an_unreachable_broker_soon_and_names_it(tmp_path: Path) -> None:
    port = free_port()
    config = compose_worker_config()
    worker = CeleryWorker(
        tmp_path / "worker.log",
        broker_url=f"redis://:hunter2@127.0.0.1:{port}/0",
        config=config,
        hostname="unreachable@%h",
    )
    try:
        with pytest.raises(HarnessError, match=r"celery worker exited \(1\)"):
            # Generous: compose's retries take ~15 s; Celery's default of 100 retries, minutes.
            worker.start(timeout=90)
    finally:
        worker.kill()
    log = worker.log_text()
    assert f"Cannot connect to redis://:**@127.0.0.1:{port}/0" in log
    assert "Connection refused" in log and "hunter2" not in log
