"""Issue 12: a get() that times out on a PENDING task says where the task may be stuck. Three
common set-up mistakes all end in PENDING: no worker consumes the queue, the worker has no
result backend, the worker accepts only pickle. The client looks at the queue the task went to
and tells them apart: the message still waits there, or a worker took it and stored nothing."""

from __future__ import annotations

from typing import Any

import pytest

from harness import CeleryWorker, RedisServer

PHP_SEND_AND_WAIT = r"""
$celery = new CeleryClient($brokerUrl, $backendUrl);
$queue = getenv('CB_QUEUE');
$result = $celery->sendTask('tasks.add', [1, 2], [], ['queue' => $queue]);
if (getenv('CB_WAIT_TAKEN')) {
    // Until a worker has taken the message off the queue (an event, polled).
    $deadline = microtime(true) + 20;
    while ($celery->queueLength($queue) > 0 && microtime(true) < $deadline) {
        usleep(10000);
    }
}
try {
    $result->get(timeout: 0.3);
    echo json_encode(['outcome' => 'returned']);
} catch (CeleryBridge\Exception\ResultTimeout $e) {
    echo json_encode(['outcome' => 'timeout', 'message' => $e->getMessage(), 'states' => $e->states]);
}
"""


def test_a_queue_no_worker_consumes_is_named(
    worker: CeleryWorker, run_php, redis_server: RedisServer
) -> None:
    out = run_php(PHP_SEND_AND_WAIT, env={"CB_QUEUE": "nobody-listens"}).json()
    redis_server.client(0).delete("nobody-listens")

    assert out["outcome"] == "timeout"
    assert 'Its queue "nobody-listens" holds 1 message now' in out["message"]
    assert "celery worker -Q nobody-listens" in out["message"]


@pytest.mark.parametrize(
    ("mistake", "backend", "config"),
    [
        ("worker without result_backend", False, {}),
        ("worker that accepts only pickle", True, {"accept_content": ["pickle"]}),
    ],
)
def test_a_worker_that_stores_nothing_is_told_apart(
    mistake: str,
    backend: bool,
    config: dict[str, Any],
    worker_factory,
    run_php,
    redis_server: RedisServer,
) -> None:
    queue = "stores-nothing"
    # Celery refuses to run a pickle-accepting worker as root unless told to (CI runs as root).
    backend_url = redis_server.url(1) if backend else None
    worker_factory(redis_server.url(0), backend_url, queues=[queue], config=config, env={"C_FORCE_ROOT": "1"})

    out = run_php(PHP_SEND_AND_WAIT, env={"CB_QUEUE": queue, "CB_WAIT_TAKEN": "1"}).json()

    assert out["outcome"] == "timeout"
    assert list(out["states"].values()) == ["PENDING"]
    assert f'Its queue "{queue}" is empty: a worker took the message and stored no result' in out["message"]
    assert "result_backend" in out["message"] and "accept_content" in out["message"]


def test_a_result_by_id_looks_at_the_default_queue(worker: CeleryWorker, run_php) -> None:
    out = run_php(
        "try { (new CeleryClient($brokerUrl, $backendUrl))->result('no-such-task')->get(timeout: 0.1); }"
        " catch (CeleryBridge\\Exception\\ResultTimeout $e) { echo json_encode($e->getMessage()); }"
    ).json()

    assert 'The default queue "celery"' in out
