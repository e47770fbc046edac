"""Worker errors in one place (python_worker.reporting), with PHP publishing the tasks.

Each sink gets exactly one report per error: a task name no worker knows (the consumer logs
and drops it, PHP's get() still says NotRegistered) and a task that raises. The prefork case
runs the setup that doubled every report before (worker_hijack_root_logger=False and a "%i"
log file per child: each child sets up logging again).

"Nothing more came" is shown with a sentinel: once a report is seen, the worker's main process
logs one more unregistered task; a duplicate is emitted in the same handler loop as its
original, so it is on the wire before the sentinel.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import databases
from harness import CeleryWorker, RedisServer
from listeners import SentryListener, SyslogListener

SECRET = "S3CRET-ARGUMENT"

def send(run_php, env: dict[str, str], case: str) -> Any:
    """Run a case of tests/php/central_reporting.php: "unknown", "failing" or "sentinel"."""
    return run_php.file("central_reporting.php", env={**env, "CB_SECRET": SECRET}, args=[case])


POOLS = {
    "solo": {},
    "prefork_per_child_logfile": {"pool": "prefork", "concurrency": 2},
}


@contextmanager
def running_worker(
    server: RedisServer, tmp_path: Path, pool: str, env: dict[str, str]
) -> Iterator[CeleryWorker]:
    """The worker for `pool`; the prefork one logs to worker-<child index>.log, the main
    process to worker-0.log (Celery's %i), which is where its "ready." line appears."""
    options: dict[str, Any] = dict(POOLS[pool])
    if pool != "solo":
        options["config"] = {"worker_hijack_root_logger": False}
        options["extra_args"] = ["--logfile", str(tmp_path / "worker-%i.log")]
    worker = CeleryWorker(
        tmp_path / "worker-0.log",
        broker_url=server.url(databases.BROKER),
        backend_url=server.url(databases.BACKEND),
        env=env,
        **options,
    )
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def php_env(server: RedisServer) -> dict[str, str]:
    return {
        "CELERY_BROKER_URL": server.url(databases.BROKER),
        "CELERY_RESULT_BACKEND": server.url(databases.BACKEND),
    }


@pytest.mark.parametrize("pool", POOLS)
def test_syslog_and_json_lines_get_each_error_once(pool: str, redis_factory, run_php, tmp_path: Path) -> None:
    server = redis_factory()
    json_log = tmp_path / "errors.jsonl"
    with SyslogListener() as syslog:
        with running_worker(
            server,
            tmp_path,
            pool,
            {"CELERY_SYSLOG_ADDRESS": syslog.address, "CELERY_ERROR_LOG_JSON": str(json_log)},
        ):
            env = php_env(server)
            unknown = send(run_php, env, "unknown").json()
            assert unknown["type"] == "NotRegistered"
            syslog.wait_for("tasks.typo_nope")
            assert send(run_php, env, "failing").json() == "ValueError"
            syslog.wait_for("boom-central")
            send(run_php, env, "sentinel")
            syslog.wait_for("tasks.sentinel_unknown")

        typo = syslog.matching("tasks.typo_nope")
        failure = syslog.matching("boom-central")
    assert len(typo) == 1 and "Received unregistered task" in typo[0]
    # The id PHP logged for the task is on the same syslog line, to match the two.
    assert f"task_id={unknown['id']}" in typo[0]
    assert len(failure) == 1 and "[ValueError]" in failure[0]

    records = [json.loads(line) for line in json_log.read_text().splitlines()]
    assert [r["level"] for r in records if "tasks.typo_nope" in r["message"]] == ["ERROR"]
    assert [r.get("task_id") for r in records if "tasks.typo_nope" in r["message"]] == [unknown["id"]]
    assert [r.get("exc_type") for r in records if "boom-central" in r["message"]] == ["ValueError"]


@pytest.mark.parametrize("pool", POOLS)
def test_sentry_gets_each_error_once_without_the_arguments(
    pool: str, redis_factory, run_php, tmp_path: Path
) -> None:
    server = redis_factory()
    with SentryListener() as sentry:
        with running_worker(server, tmp_path, pool, {"SENTRY_DSN": sentry.dsn}):
            env = php_env(server)
            assert send(run_php, env, "unknown").json()["type"] == "NotRegistered"
            sentry.wait_for("event")
            assert send(run_php, env, "failing").json() == "ValueError"
            sentry.wait_for("event", 2)
            send(run_php, env, "sentinel")
            events = sentry.wait_for("event", 3)

    def formatted(event: dict[str, Any]) -> str:
        return str((event.get("logentry") or {}).get("formatted", ""))

    def exception_types(event: dict[str, Any]) -> list[str]:
        return [value["type"] for value in (event.get("exception") or {}).get("values", [])]

    typo = [e for e in events if "tasks.typo_nope" in formatted(e)]
    failures = [e for e in events if "ValueError" in exception_types(e)]
    sentinel = [e for e in events if "tasks.sentinel_unknown" in formatted(e)]
    assert (len(typo), len(failures), len(sentinel), len(events)) == (1, 1, 1, 3)
    assert "Received unregistered task" in formatted(typo[0])
    # The unregistered-task event quotes the whole message, and a failure carries the task's
    # arguments: both are scrubbed by default.
    assert SECRET not in json.dumps(events)
    assert "boom-central" not in json.dumps(failures[0].get("extra", {}))


def test_sentry_keeps_the_arguments_when_asked(redis_factory, run_php, tmp_path: Path) -> None:
    server = redis_factory()
    with SentryListener() as sentry:
        with running_worker(
            server, tmp_path, "solo", {"SENTRY_DSN": sentry.dsn, "SENTRY_SEND_TASK_ARGUMENTS": "1"}
        ):
            assert send(run_php, php_env(server), "unknown").json()["type"] == "NotRegistered"
            events = sentry.wait_for("event")

    assert SECRET in json.dumps(events)
