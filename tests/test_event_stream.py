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

import pytest
import redis
from test_cli import CLI

from harness import CeleryWorker, RedisServer
from php_runner import php_script

DB = 13


@pytest.fixture
def events_db(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis_server.client(DB)
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def test_php_watches_its_task_go_sent_received_started_succeeded(
    redis_server: RedisServer, events_db: redis.Redis, worker_factory, run_php
) -> None:
    worker_factory(redis_server.url(DB), redis_server.url(DB), extra_args=["-E"], hostname="events@%h")
    out = run_php(
        """
use CeleryBridge\\Events\\{TaskEvent, WorkerEvent};
$config = ['task_send_sent_event' => true];
$celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl, config: $config);
$ids = [];
$finished = 0;
$done = function ($e) use (&$ids, &$finished): bool {
    if ($e instanceof TaskEvent && in_array($e->taskId, $ids, true)
        && in_array($e->type, ['task-succeeded', 'task-failed'], true)) {
        $finished++;
    }
    return $finished === 2;
};
$stream = $celery->events(timeout: 60.0, until: $done);
// Subscribed before sending: nothing published from now on is missed.
$ids[] = $celery->sendTask('tasks.add', [2, 3])->id;
$ids[] = $celery->sendTask('tasks.fail', ['boom'])->id;
$seen = [];
foreach ($stream as $e) {
    if ($e instanceof TaskEvent && in_array($e->taskId, $ids, true)) {
        $seen[] = [$e->taskId === $ids[0] ? 'add' : 'fail', $e->type, $e->name, $e->args, $e->result,
            $e->exception, $e->hostname, $e->timestamp?->format('U')];
    }
}
echo json_encode($seen);
""",
        env={"CELERY_BROKER_URL": redis_server.url(DB), "CELERY_RESULT_BACKEND": redis_server.url(DB)},
        timeout=90,
    ).json()

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
    worker_factory(redis_server.url(DB), redis_server.url(DB), extra_args=["-E"], hostname="asked@%h")
    out = run_php(
        """
use CeleryBridge\\Events\\{TaskEvent, WorkerEvent};
$celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
$seen = [];
$both = function ($e) use (&$seen): bool {
    $seen[$e->type] = true;
    return count($seen) === 2;
};
$stream = $celery->events(timeout: 60.0, types: ['worker-heartbeat', 'task-revoked'], until: $both);
$celery->control()->heartbeat();
// Revoked first (the worker lists it once it has heard), then sent: the worker drops it on
// receipt and sends task-revoked.
$id = \\CeleryBridge\\Wire\\Uuid::v4();
$celery->revoke($id);
$deadline = microtime(true) + 20;
do {
    $known = in_array($id, current($celery->control()->revoked()) ?: [], true);
} while (!$known && microtime(true) < $deadline);
$celery->sendTask('tasks.add', [1, 1], options: ['task_id' => $id]);
$out = [];
foreach ($stream as $e) {
    $out[] = $e instanceof WorkerEvent
        ? ['worker', $e->type, $e->hostname, $e->frequency]
        : ['task', $e->type, $e instanceof TaskEvent && $e->taskId === $id, $e->fields()['expired'] ?? null];
}
echo json_encode($out);
""",
        env={"CELERY_BROKER_URL": redis_server.url(DB), "CELERY_RESULT_BACKEND": redis_server.url(DB)},
        timeout=90,
    ).json()

    kinds = {event[1]: event for event in out}
    assert set(kinds) == {"worker-heartbeat", "task-revoked"}
    assert kinds["worker-heartbeat"][2].startswith("asked@") and kinds["worker-heartbeat"][3] == 5
    assert kinds["task-revoked"][2:] == [True, False]


def test_a_retried_task(redis_server: RedisServer, events_db: redis.Redis, worker_factory, run_php) -> None:
    """tasks.retry_plain retries until its gate exists; PHP opens it on the first task-retried."""
    worker_factory(redis_server.url(DB), redis_server.url(DB), extra_args=["-E"], hostname="retry@%h")
    out = run_php(
        """
use CeleryBridge\\Events\\TaskEvent;
$url = parse_url($brokerUrl);
$gates = new \\Redis();
$gates->connect($url['host'], $url['port']);
$gates->select((int) ltrim($url['path'], '/'));
$celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
$ids = [];
$stream = $celery->events(timeout: 60.0, until: function ($e) use (&$ids): bool {
    return $e instanceof TaskEvent && $e->type === 'task-succeeded' && in_array($e->taskId, $ids, true);
});
$gate = 'events-gate-' . bin2hex(random_bytes(4));
$ids = [$celery->sendTask('tasks.retry_plain', [$gate, 'v'])->id];
$seen = [];
foreach ($stream as $e) {
    if ($e instanceof TaskEvent && in_array($e->taskId, $ids, true)) {
        $seen[] = [array_search($e->taskId, $ids, true), $e->type, $e->exception];
        if ($e->type === 'task-retried') {
            $gates->set($gate, '1');
        }
    }
}
$gates->del($gate);
echo json_encode($seen);
""",
        env={"CELERY_BROKER_URL": redis_server.url(DB), "CELERY_RESULT_BACKEND": redis_server.url(DB)},
        timeout=90,
    ).json()

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
    script = tmp_path / "watch.php"
    script.write_text(
        php_script(
            """
use CeleryBridge\\Events\\WorkerEvent;
$celery = new CeleryClient(broker: getenv('EVENTS_BROKER'));
$stream = $celery->events(timeout: 60.0, until: fn ($e) => $e->type === 'worker-offline');
echo "subscribed\\n";
foreach ($stream as $e) {
    if ($e instanceof WorkerEvent) {
        echo json_encode([$e->type, $e->hostname, $e->frequency, $e->software]), "\\n";
    }
}
"""
        )
    )
    env = dict(os.environ, EVENTS_BROKER=redis_server.url(DB))
    watcher = subprocess.Popen(["php", str(script)], stdout=subprocess.PIPE, text=True, env=env)
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
        deadline = time.monotonic() + 30
        while events_db.pubsub_numsub(channel)[0][1] < 2:
            assert time.monotonic() < deadline, "the CLI did not subscribe"
            time.sleep(0.05)
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
