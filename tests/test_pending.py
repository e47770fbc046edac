"""Issue 12: a get() that times out on a PENDING task says where the task may be stuck. Three
common set-up mistakes all end in PENDING: no worker consumes the queue, the worker has no
result backend, the worker accepts only pickle. The client looks at the queue the task went to
and tells them apart: the message still waits there, or a worker took it and stored nothing."""

from __future__ import annotations

from typing import Any

import pytest

import databases
from harness import CeleryWorker, RedisServer


def test_a_queue_no_worker_consumes_is_named(
    worker: CeleryWorker, run_php, redis_server: RedisServer
) -> None:
    out = run_php.file("pending_send_and_wait.php", env={"CB_QUEUE": "nobody-listens"}).json()
    redis_server.client(databases.BROKER).delete("nobody-listens")

    assert out["outcome"] == "timeout"
    expected = 'Its message still waits in queue "nobody-listens" (1 message there now): most likely no'
    assert expected in out["message"]
    assert "celery -A proj worker -Q nobody-listens" in out["message"]
    assert "a worker took" not in out["message"]


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
    backend_url = redis_server.url(databases.BACKEND) if backend else None
    worker_factory(
        redis_server.url(databases.BROKER),
        backend_url,
        queues=[queue],
        config=config,
        env={"C_FORCE_ROOT": "1"},
    )

    out = run_php.file("pending_send_and_wait.php", env={"CB_QUEUE": queue, "CB_WAIT_TAKEN": "1"}).json()

    assert out["outcome"] == "timeout"
    assert list(out["states"].values()) == ["PENDING"]
    assert f'Its message is no longer in queue "{queue}": a worker took it.' in out["message"]
    assert "Otherwise the worker stored no result" in out["message"]
    assert "result_backend" in out["message"] and "accept_content" in out["message"]
    assert "another db" in out["message"]


def test_a_running_task_without_track_started_is_said_to_be_running_first(
    worker_factory, run_php, redis_server: RedisServer
) -> None:
    """Without task_track_started a task a worker is running is PENDING: the likeliest cause of
    the timeout is that it has not finished, not a misconfigured worker."""
    queue = "long-tasks"
    worker_factory(redis_server.url(databases.BROKER), redis_server.url(databases.BACKEND), queues=[queue])

    out = run_php.file(
        "pending_send_and_wait.php",
        env={"CB_QUEUE": queue, "CB_WAIT_TAKEN": "1", "CB_TASK": "tasks.sleep", "CB_ARGS": "[30]"},
    ).json()

    assert out["outcome"] == "timeout"
    assert list(out["states"].values()) == ["PENDING"]
    explanation = out["message"].split(f'Its message is no longer in queue "{queue}": a worker took it. ')[1]
    assert explanation.startswith("Most likely the task is still running")
    assert "task_track_started" in explanation and "celery -A proj inspect active" in explanation
    # The misconfigurations come after, as the less likely causes.
    assert explanation.index("still running") < explanation.index("result_backend")


def test_an_unknown_id_is_not_said_to_be_taken_by_a_worker(worker: CeleryWorker, run_php) -> None:
    out = run_php(
        "try { (new CeleryClient($brokerUrl, $backendUrl))->result('no-such-task')->get(timeout: 0.1); }"
        " catch (CeleryBridge\\Exception\\ResultTimeout $e) { echo json_encode($e->getMessage()); }"
    ).json()

    assert 'No message with this id waits in the default queue "celery". PENDING is also the state' in out
    assert "a worker took" not in out
    assert "still running" in out and "task_track_started" in out
    # A client whose backend db differs from the workers' gets its get() results by PUBLISH but
    # never finds them by id later: that is among the causes named.
    assert "another db" in out and "result($id)" in out and "the id is wrong" in out


def _timeout_message(run_php, redis_server: RedisServer, queue: str, send: str) -> str:
    """The message of the ResultTimeout of $r->get(timeout: 0.1) after the PHP code `send` (which
    sets $r, its tasks queued in `queue`, which no worker consumes); the queue is deleted after."""
    out = run_php(
        send + " try { $r->get(timeout: 0.1); }"
        " catch (CeleryBridge\\Exception\\ResultTimeout $e) { echo json_encode($e->getMessage()); }"
    ).json()
    redis_server.client(databases.BROKER).delete(queue)
    return out


def test_a_result_by_id_of_a_queued_task_says_it_waits(run_php, redis_server: RedisServer) -> None:
    """No worker consumes "celery" here (no worker fixture): the task's message is found by its id."""
    out = _timeout_message(
        run_php, redis_server, "by-id-queue",
        "$c = new CeleryClient($brokerUrl, $backendUrl, ['task_default_queue' => 'by-id-queue']);"
        " $c->sendTask('tasks.add', [1, 2]); $r = $c->result($c->sendTask('tasks.add', [3, 4])->id);"
        " $c->sendTask('tasks.add', [5, 6]);",
    )

    assert 'A message with this id still waits in the default queue "by-id-queue" (3 messages' in out


def test_a_protocol_1_message_is_found_by_its_id_too(run_php, redis_server: RedisServer) -> None:
    """Protocol 1 carries the id only in the (base64) body; no worker consumes the queue here."""
    out = _timeout_message(
        run_php, redis_server, "proto1-queue",
        "$c = new CeleryClient($brokerUrl, $backendUrl, ['task_protocol' => 1]);"
        " $r = $c->sendTask('tasks.add', [1, 2], options: ['queue' => 'proto1-queue']);",
    )

    assert 'Its message still waits in queue "proto1-queue" (1 message there now)' in out


def test_a_started_task_is_said_to_be_running(worker_factory, run_php, redis_server: RedisServer) -> None:
    """With task_track_started the worker stores STARTED: the timeout says the task runs."""
    queue = "tracked-tasks"
    tracked = {"task_track_started": True}
    worker_factory(
        redis_server.url(databases.BROKER),
        redis_server.url(databases.BACKEND),
        queues=[queue],
        config=tracked,
    )

    out = run_php(
        "$c = new CeleryClient($brokerUrl, $backendUrl);"
        f" $r = $c->sendTask('tasks.sleep', [30], options: ['queue' => '{queue}']);"
        " $deadline = microtime(true) + 20;"
        " while ($r->state() !== 'STARTED' && microtime(true) < $deadline) { usleep(10000); }"
        " try { $r->get(timeout: 0.2); }"
        " catch (CeleryBridge\\Exception\\ResultTimeout $e) {"
        " echo json_encode([$e->getMessage(), $e->states]); }"
    ).json()

    assert list(out[1].values()) == ["STARTED"]
    assert "(STARTED). STARTED means a worker is running it." in out[0]
