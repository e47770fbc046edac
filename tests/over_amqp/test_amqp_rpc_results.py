"""Issue 30 item 4: rpc:// results. A real Celery worker with broker amqp:// and result_backend
rpc:// runs what PHP sends, and PHP reads the results from its reply queue in the same process,
with the Redis backend's semantics: the value, TaskFailed with the remote exception,
TaskRevoked, ResultTimeout naming the id; a result that arrives while waiting for another task
is kept for its own handle; chords refused as Celery refuses them, before anything is published;
a Redis broker with rpc:// refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import amqp
import pytest

from cli_runner import cli
from harness import CeleryWorker, RedisServer, free_port
from lifecycle import running
from python_worker.config import RECORDS_URL_ENV
from rabbitmq import RabbitMQServer

QUEUE = "php_rpc"
NOBODY = "php_rpc_nobody"


@pytest.fixture(scope="module")
def rpc_worker(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryWorker]:
    """One worker for the module: broker the RabbitMQ node, result_backend rpc://."""
    worker = CeleryWorker(
        tmp_path_factory.mktemp("rpc") / "worker.log",
        broker_url=rabbitmq_server.url(),
        backend_url="rpc://",
        queues=[QUEUE],
        config={"task_default_queue": QUEUE},
        # tasks.progress_steps waits for its gates in the session Redis.
        env={RECORDS_URL_ENV: redis_server.url(0)},
    )
    with running(lambda: worker.start(60.0), worker.kill, failed=worker.kill):
        yield worker


def _php(
    run_php,
    rabbitmq_server: RabbitMQServer,
    scenario: str,
    *,
    backend_arg: bool = False,
    config: dict[str, Any] | None = None,
    extra: dict[str, str] | None = None,
    timeout: float = 90.0,
) -> dict[str, dict[str, Any]]:
    result = run_php.file(
        "amqp_rpc.php",
        env={
            "CELERY_BROKER_URL": rabbitmq_server.url(),
            "CB_SCENARIO": scenario,
            "CB_CONFIG": json.dumps({"task_default_queue": QUEUE, **(config or {})}),
            "CB_BACKEND_ARG": "1" if backend_arg else "0",
            **(extra or {}),
        },
        timeout=timeout,
    )
    steps = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {step["step"]: step for step in steps}


def test_get_returns_the_value_and_the_handle_reads_success(rpc_worker, rabbitmq_server, run_php) -> None:
    out = _php(run_php, rabbitmq_server, "success")
    assert out["client"] == {"step": "client"}
    step = out["success"]
    assert step["result"] == 5, step
    assert (step["ready"], step["state"], step["successful"], step["stored"]) == (True, "SUCCESS", True, 5)


def test_the_backend_may_be_the_constructor_argument(rpc_worker, rabbitmq_server, run_php) -> None:
    assert _php(run_php, rabbitmq_server, "success", backend_arg=True)["success"]["result"] == 5


def test_a_failed_task_throws_task_failed_with_the_remote_exception(
    rpc_worker, rabbitmq_server, run_php
) -> None:
    out = _php(run_php, rabbitmq_server, "failure")
    step = out["failure"]
    assert step["error"] == "CeleryBridge\\Exception\\TaskFailed", step
    assert (step["task_id"], step["remote_type"], step["remote_message"]) == (
        out["sent"]["id"],
        "ValueError",
        "boom",
    )


def test_a_revoked_task_throws_task_revoked(rpc_worker, rabbitmq_server, run_php) -> None:
    out = _php(run_php, rabbitmq_server, "revoked")
    step = out["revoked"]
    assert step["error"] == "CeleryBridge\\Exception\\TaskRevoked", step
    assert step["task_id"] == out["sent"]["id"]


def test_a_timeout_names_the_task_and_a_later_get_still_reads_it(
    rpc_worker, rabbitmq_server, run_php
) -> None:
    out = _php(run_php, rabbitmq_server, "timeout")
    task_id = out["sent"]["id"]
    short = out["short"]
    assert short["error"] == "CeleryBridge\\Exception\\ResultTimeout", short
    assert task_id in short["message"] and list(short["states"]) == [task_id], short
    assert out["long"] == {"step": "long", "result": 3, "state": "SUCCESS"}


def test_a_wait_outlasts_the_connections_read_timeout(rpc_worker, rabbitmq_server, run_php) -> None:
    """php-amqplib's socket read timeout (broker_transport_options read_timeout, 1 s here) ends
    no get(): with no limit, or with a longer timeout, it waits for the task (2.5 s)."""
    options = {"broker_transport_options": {"read_timeout": 1, "confirm_timeout": 1}}
    out = _php(run_php, rabbitmq_server, "patient", config=options)
    assert (out["no_limit"].get("result"), out["limit"].get("result")) == (2.5, 2.5), out


def test_a_wait_keeps_the_heartbeat(rpc_worker, rabbitmq_server, run_php) -> None:
    """With broker_heartbeat 1, RabbitMQ closes a connection silent for about 2 s: a get() on a
    3.5 s task (and one more after it) sends heartbeats while it waits."""
    out = _php(run_php, rabbitmq_server, "patient", config={"broker_heartbeat": 1}, extra={"CB_SLEEP": "3.5"})
    assert (out["no_limit"].get("result"), out["limit"].get("result")) == (3.5, 3.5), out


def test_a_result_that_arrives_while_waiting_for_another_is_kept(
    rpc_worker, rabbitmq_server, run_php
) -> None:
    out = _php(run_php, rabbitmq_server, "order")
    assert out["second"]["result"] == 1, out
    # Read with timeout 0 after its message was consumed while waiting for the second task.
    assert out["first"] == {"step": "first", "result": 2, "state": "SUCCESS"}, out
    assert out["by_id"] == {"step": "by_id", "state": "SUCCESS"}, out


def test_a_reply_queue_deleted_behind_the_clients_back_is_declared_again_before_the_next_publish(
    rpc_worker, rabbitmq_server, run_php
) -> None:
    out = _php(run_php, rabbitmq_server, "deleted")
    assert (out["first"].get("result"), out["after"].get("result")) == (3, 7), out


def test_on_message_gets_every_state_the_worker_publishes(
    rpc_worker, rabbitmq_server, redis_server, run_php
) -> None:
    """Each update_state() is a message of its own on the reply queue: the callback sees each
    PROGRESS (the worker goes on only once PHP saw it), then SUCCESS; state() reads along."""
    gate = f"rpc-progress-{uuid.uuid4()}"
    out = _php(
        run_php, rabbitmq_server, "progress", extra={"CB_GATE": gate, "CB_GATES_URL": redis_server.url(0)}
    )
    step = out["progress"]
    assert step.get("result") == "done", step
    assert step["seen"] == [
        ["PROGRESS", {"done": 1, "total": 3}, "PROGRESS"],
        ["PROGRESS", {"done": 2, "total": 3}, "PROGRESS"],
        ["PROGRESS", {"done": 3, "total": 3}, "PROGRESS"],
        ["SUCCESS", "done", "SUCCESS"],
    ]


def test_a_group_and_chains_are_read_from_the_reply_queue(rpc_worker, rabbitmq_server, run_php) -> None:
    out = _php(run_php, rabbitmq_server, "group")
    assert out["group"].get("result") == [2, 4, 6], out
    assert (out["chain"].get("result"), out["chain"].get("parent")) == (13, 3), out
    failed = out["chain_failed"]
    assert failed["error"] == "CeleryBridge\\Exception\\TaskFailed" and failed["remote_message"] == "first", (
        failed
    )


def test_chords_are_refused_as_celery_refuses_them_and_nothing_is_published(
    rpc_worker, rabbitmq_server, run_php
) -> None:
    out = _php(run_php, rabbitmq_server, "chord", extra={"CB_QUEUE": NOBODY})
    for name in ("chord", "group_then_task", "many"):
        step = out[name]
        assert step["error"] == "CeleryBridge\\Exception\\NotSupportedByBackend", step
        assert step["message"].startswith('The "rpc" result backend does not support chords!'), step
    for name, operation in (("save", "GroupResult::save()"), ("restore", "restoreGroup()")):
        step = out[name]
        assert step["error"] == "CeleryBridge\\Exception\\NotSupportedByBackend", step
        assert f'{operation} is not supported by the "rpc" result backend' in step["message"], step
    # Nothing reached RabbitMQ: the queue the canvases were sent to was never even declared.
    conn = rabbitmq_server.connection()
    try:
        with pytest.raises(amqp.exceptions.NotFound):
            conn.channel().queue_declare(NOBODY, passive=True)
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("config", "arguments"),
    [
        ({}, {"x-expires": 86400000}),
        ({"result_expires": 60}, {"x-expires": 60000}),
        ({"result_expires": None}, {}),
    ],
    ids=["default", "result_expires-60", "never-expires"],
)
def test_the_reply_queue_is_declared_before_the_publish_as_celery_declares_it(
    rpc_worker, rabbitmq_server, run_php, config: dict[str, Any], arguments: dict[str, int]
) -> None:
    """PHP sends and exits without reading: the worker's result waits in the reply queue, which
    has Celery's arguments (kombu's Queue(oid, durable=True, auto_delete=True,
    expires=result_expires)), and the message is the rpc backend's."""
    step = _php(run_php, rabbitmq_server, "send", config=config)["send"]
    oid, task_id = step["oid"], step["id"]
    conn = rabbitmq_server.connection()
    try:
        # Any difference in a redeclaration closes the channel with 406 PRECONDITION_FAILED...
        with pytest.raises(amqp.exceptions.PreconditionFailed):
            conn.channel().queue_declare(oid, durable=True, auto_delete=True, arguments={"x-expires": 1234})
        # ...and Celery's own declaration is accepted.
        channel = conn.channel()
        channel.queue_declare(oid, durable=True, auto_delete=True, arguments=arguments)
        received: list[amqp.Message] = []
        channel.basic_consume(oid, no_ack=True, callback=received.append)
        conn.drain_events(timeout=30)
        message = received[0]
        assert message.properties["correlation_id"] == task_id
        assert message.properties["content_type"] == "application/json"
        body = json.loads(message.body)
        assert (body["task_id"], body["status"], body["result"]) == (task_id, "SUCCESS", 8)
    finally:
        conn.close()


def test_a_redis_broker_with_rpc_is_refused(rabbitmq_server, redis_server, run_php) -> None:
    out = _php(run_php, rabbitmq_server, "redis", extra={"CELERY_REDIS_URL": redis_server.url(0)})
    step = out["client"]
    assert step["error"] == "CeleryBridge\\Exception\\InvalidConfiguration", step
    assert "rpc result backend needs a RabbitMQ broker" in step["message"]


def test_the_cli_reads_rpc_results_of_what_it_sends_and_refuses_reading_another_processes(
    rpc_worker, rabbitmq_server
) -> None:
    urls = {"broker": rabbitmq_server.url(), "backend": "rpc://"}
    sent = cli("--json", "send", "tasks.add", "--args", "[2, 3]", "--queue", QUEUE, "--wait", "30", **urls)
    assert sent.code == 0, sent
    assert sent.json()["result"] == 5, sent
    later = cli("result", sent.json()["id"], **urls)
    assert later.code == 2, later
    assert "rpc:// results are messages to the client that sent the task" in later.stderr


def test_the_password_never_shows_from_the_result_side(rpc_worker, rabbitmq_server, run_php) -> None:
    bad = f"amqp://guest:Pa55-w0rd-x@127.0.0.1:{free_port()}//"
    out = _php(run_php, rabbitmq_server, "secrets", extra={"CB_BAD_URL": bad})
    assert "ConnectionRefused" in out["refused"]["text"], out
    everything = json.dumps(out)
    assert "Pa55-w0rd-x" not in everything
    dumps = out["dumps"]["text"] + out["var_dump"]["text"]
    assert "RpcResultBackend" in dumps  # the dumps do reach the result side
    assert "login_response" not in dumps and "PhpAmqpLib\\Connection" not in dumps
    assert [line for line in dumps.splitlines() if "password" in line.lower() and "guest" in line] == []
