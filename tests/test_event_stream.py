"""Celery's event stream read from PHP (issue 30, item 3): $celery->events() and `celery-bridge events`.

A worker started with -E on a database of its own (db 13, so its "/13.celeryev/..." channels
carry only this test's events) runs the tasks; PHP subscribes, sends, and reads the events
in the order Redis delivered them. Worker events come from a worker with its heartbeat on
(the harness turns it off elsewhere), started and stopped while PHP listens.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

import databases
from cli_runner import CLI
from harness import CeleryWorker, RedisServer
from php_runner import PHP_SCRIPTS
from waiting import until

DB = databases.EVENT_STREAM


def events_seen(redis_server: RedisServer, worker_factory, run_php, case: str, hostname: str) -> Any:
    """What `php event_stream.php CASE` printed (JSON), with a worker that sends events (-E)
    on DB, as broker and result backend."""
    worker_factory(redis_server.url(DB), redis_server.url(DB), extra_args=["-E"], hostname=hostname)
    return run_php.file(
        "event_stream.php",
        env={"CELERY_BROKER_URL": redis_server.url(DB), "CELERY_RESULT_BACKEND": redis_server.url(DB)},
        timeout=90,
        args=[case],
    ).json()


@pytest.fixture
def events_db(redis_server: RedisServer) -> Iterator[redis.Redis]:
    with redis_server.flushed(DB) as client:
        yield client


def test_php_watches_its_task_go_sent_received_started_succeeded(
    redis_server: RedisServer, events_db: redis.Redis, worker_factory, run_php
) -> None:
    out = events_seen(redis_server, worker_factory, run_php, "task_lifecycle", "events@%h")

    add = [event for event in out if event[0] == "add"]
    fail = [event for event in out if event[0] == "fail"]
    assert [event[1] for event in add] == ["task-sent", "task-received", "task-started", "task-succeeded"]
    assert [event[1] for event in fail] == ["task-sent", "task-received", "task-started", "task-failed"]
    assert add[0][2:4] == ["tasks.add", "[2, 3]"] and add[1][2:4] == ["tasks.add", "[2, 3]"]
    assert add[3][4] == "5"
    assert "boom" in fail[3][5]
    # task-sent comes from the PHP client, the others from the worker.
    assert add[0][6].startswith("php") and add[1][6].startswith("events@")
    assert all(abs(int(event[7]) - time.time()) < 120 for event in out)


def test_a_requested_heartbeat_and_a_revoked_task_arrive_typed(
    redis_server: RedisServer, events_db: redis.Redis, worker_factory, run_php
) -> None:
    """control()->heartbeat() makes the worker send worker-heartbeat; a revoked task task-revoked."""
    out = events_seen(redis_server, worker_factory, run_php, "heartbeat_and_revoked", "asked@%h")

    kinds = {event[1]: event for event in out}
    assert set(kinds) == {"worker-heartbeat", "task-revoked"}
    assert kinds["worker-heartbeat"][2].startswith("asked@") and kinds["worker-heartbeat"][3] == 5
    assert kinds["task-revoked"][2:] == [True, False]


def test_a_retried_task(redis_server: RedisServer, events_db: redis.Redis, worker_factory, run_php) -> None:
    """tasks.retry_plain retries until its gate exists; PHP opens it on the first task-retried."""
    out = events_seen(redis_server, worker_factory, run_php, "retried", "retry@%h")

    types = [event[1] for event in out]
    assert types[:3] == ["task-received", "task-started", "task-retried"] and types[-1] == "task-succeeded"
    assert [event for event in out if event[1] == "task-retried"][0][2]  # the retry's exception text


class HeartbeatWorker(CeleryWorker):
    """The harness worker with its heartbeat on: it sends worker-heartbeat every 2 s."""

    def command(self) -> list[str]:
        return [arg for arg in super().command() if arg != "--without-heartbeat"]


def test_php_sees_a_worker_come_online_beat_and_go_offline(
    redis_server: RedisServer, events_db: redis.Redis, tmp_path: Path
) -> None:
    env = dict(os.environ, CELERY_BROKER_URL=redis_server.url(DB))
    watch = [str(PHP_SCRIPTS / "event_stream.php"), "watch_workers"]
    watcher = subprocess.Popen(["php", *watch], stdout=subprocess.PIPE, text=True, env=env)
    worker = HeartbeatWorker(tmp_path / "worker.log", broker_url=redis_server.url(DB), hostname="beat@%h")
    try:
        assert watcher.stdout is not None
        assert watcher.stdout.readline() == "subscribed\n"
        worker.start()
        lines = []
        while not lines or lines[-1][0] != "worker-heartbeat":
            line = watcher.stdout.readline()
            assert line, "the watcher ended before a heartbeat"
            lines.append(json.loads(line))
        worker.stop()
        rest, _ = watcher.communicate(timeout=60)
        lines += [json.loads(line) for line in rest.splitlines()]
    finally:
        worker.kill()
        if watcher.poll() is None:
            watcher.kill()
    types = [line[0] for line in lines]
    assert types[0] == "worker-online" and types[-1] == "worker-offline" and "worker-heartbeat" in types
    assert {line[1] for line in lines} == {lines[0][1]} and lines[0][1].startswith("beat@")
    assert lines[0][2] == 2.0 and lines[0][3].startswith("py-celery ")
    assert watcher.returncode == 0


def test_the_cli_prints_events_as_lines_or_json(
    redis_server: RedisServer, events_db: redis.Redis, worker_factory, run_php
) -> None:
    worker_factory(redis_server.url(DB), redis_server.url(DB), extra_args=["-E"], hostname="cli-events@%h")
    env = {"PATH": "/usr/bin:/bin", "CELERY_BROKER_URL": redis_server.url(DB)}
    limits = ("--count", "2", "--timeout", "60")
    watchers = [
        subprocess.Popen(
            ["php", CLI, *flags, "events", "--type", "task-received", "--type", "task-succeeded", *limits],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for flags in ([], ["--json"])
    ]
    try:
        # Both are subscribed once Redis counts them on the channel (no sleep guess).
        channel = f"/{DB}.celeryev/task.succeeded"
        until(
            lambda: events_db.pubsub_numsub(channel)[0][1] >= 2,
            30,
            "both CLIs to subscribe",
            ended=lambda: next((" ".join(w.args) for w in watchers if w.poll() is not None), None),
        )
        task_id = run_php(
            "echo json_encode((new CeleryClient(broker: $brokerUrl))->sendTask('tasks.add', [20, 22])->id);",
            env={"CELERY_BROKER_URL": redis_server.url(DB)},
        ).json()
        outputs = [watcher.communicate(timeout=60) for watcher in watchers]
    finally:
        for watcher in watchers:
            if watcher.poll() is None:
                watcher.kill()
    (text, text_err), (as_json, json_err) = outputs
    assert [w.returncode for w in watchers] == [0, 0], (text_err, json_err)
    lines = text.splitlines()
    assert len(lines) == 2 and "task-received" in lines[0] and task_id in lines[0] and "tasks.add" in lines[0]
    assert "task-succeeded" in lines[1] and "result=42" in lines[1]
    events = [json.loads(line) for line in as_json.splitlines()]
    expected = [(kind, task_id) for kind in ("task-received", "task-succeeded")]
    assert [(e["type"], e["uuid"]) for e in events] == expected
    assert events[1]["result"] == "42"
