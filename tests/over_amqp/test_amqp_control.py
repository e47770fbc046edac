"""Issue 27: remote control and queue tools over RabbitMQ, from PHP, on both PHP AMQP libraries
(php-amqplib and ext-amqp): ping and inspect answered by a real Celery worker through the
celery.pidbox fanout exchange and this client's reply queue, a revoke the worker honours, and
queue length and purge by passive queue.declare and queue.purge."""

from __future__ import annotations

import json
import socket

import pytest
from amqp_helpers import CLIENTS, capture_queue, get_all, named, tools, waiting
from celery import Celery

from harness import free_port
from rabbitmq import RabbitMQServer


@pytest.fixture
def amqp_worker(start_amqp_worker):
    """A worker on the RabbitMQ node consuming queue "amqp_ctl", node name amqpctl@<host>."""
    return start_amqp_worker(["amqp_ctl"], hostname="amqpctl@%h")


@pytest.mark.parametrize("client", CLIENTS)
def test_a_worker_answers_ping_and_inspect_from_php_over_amqp(
    client: str, amqp_worker, rabbitmq_server, run_php
) -> None:
    node = f"amqpctl@{socket.gethostname()}"

    assert tools(run_php, rabbitmq_server, client, "ping", node) == {node: {"ok": "pong"}}
    # The passive declare of a missing queue gets a 404, which closes the channel the replies
    # are consumed on: the next ping still gets its answer.
    pong = {node: {"ok": "pong"}}
    assert tools(run_php, rabbitmq_server, client, "ping-404-ping", node) == [pong, 0, pong]
    queues = tools(run_php, rabbitmq_server, client, "inspect", "active_queues")
    assert [q["name"] for q in queues[node]] == ["amqp_ctl"]
    # RabbitMQ's queue, as the worker declared it.
    assert queues[node][0]["exchange"]["name"] == "amqp_ctl"
    stats = tools(run_php, rabbitmq_server, client, "inspect", "stats")
    assert stats[node]["broker"]["transport"] == "amqp"


@pytest.mark.parametrize("client", CLIENTS)
def test_a_revoke_from_php_over_amqp_is_honoured_by_the_worker(
    client: str, amqp_worker, rabbitmq_server, amqp_celery: Celery, run_php
) -> None:
    task_id = f"revoked-over-amqp-{client}"

    assert tools(run_php, rabbitmq_server, client, "revoke", task_id) == 1
    # Sent after the revoke: the worker discards it and stores REVOKED.
    result = amqp_celery.send_task("tasks.add", args=[2, 3], queue="amqp_ctl", task_id=task_id)
    assert result.get(timeout=20, propagate=False) is not None
    assert result.state == "REVOKED"


@pytest.mark.parametrize("client", CLIENTS)
def test_no_worker_hears_a_revoke_when_none_runs(client: str, rabbitmq_server, run_php) -> None:
    assert tools(run_php, rabbitmq_server, client, "revoke", "nobody-listens") == 0
    assert tools(run_php, rabbitmq_server, client, "ping") == {}


@pytest.mark.parametrize("client", CLIENTS)
def test_queue_length_and_purge_over_amqp(client: str, rabbitmq_server, amqp_celery: Celery, run_php) -> None:
    queue = named("amqp_len", client)
    for _ in range(3):
        amqp_celery.send_task("tasks.add", args=[1, 1], queue=queue)
    # A message RabbitMQ holds counts; a queue that does not exist has none, as on Redis.
    assert tools(run_php, rabbitmq_server, client, "length", queue, "no_such_queue", queue) == [3, 0, 3]

    assert tools(run_php, rabbitmq_server, client, "purge", queue) == [3, 0]
    assert tools(run_php, rabbitmq_server, client, "purge", "no_such_queue") == [0, 0]
    assert waiting(rabbitmq_server, queue, delete=True) == 0


@pytest.mark.parametrize("client", CLIENTS)
def test_php_and_python_publish_the_same_revoke_and_ping_on_the_pidbox_exchange(
    client: str, rabbitmq_server: RabbitMQServer, amqp_celery: Celery, run_php
) -> None:
    capture = named("capture_pidbox", client)
    # As kombu declares the mailbox: fanout, not durable.
    capture_queue(rabbitmq_server, capture, "celery.pidbox", "fanout", "", durable=False)

    amqp_celery.control.revoke("same-id")
    tools(run_php, rabbitmq_server, client, "revoke", "same-id")
    amqp_celery.control.ping(timeout=0.2)
    tools(run_php, rabbitmq_server, client, "ping")

    python_revoke, php_revoke, python_ping, php_ping = get_all(rabbitmq_server, capture, delete=True)
    for python, php in ((python_revoke, php_revoke), (python_ping, php_ping)):
        python_props, php_props = dict(python.properties), dict(php.properties)
        python_headers = python_props.pop("application_headers")
        php_headers = php_props.pop("application_headers")
        assert (
            php_props
            == python_props
            == {
                "content_type": "application/json",
                "content_encoding": "utf-8",
                "delivery_mode": 2,
                "priority": 0,
            }
        )
        # {clock: int, expires: float}, in that order (py-amqp decodes I and l alike).
        assert list(php_headers) == list(python_headers) == ["clock", "expires"]
        assert (
            [type(v) for v in php_headers.values()]
            == [type(v) for v in python_headers.values()]
            == [int, float]
        )
        python_body, php_body = json.loads(python.body), json.loads(php.body)
        if "ticket" in python_body:
            # Each client's own ticket and reply queue, the same shape.
            for body in (python_body, php_body):
                assert body.pop("ticket")
                assert body["reply_to"].pop("exchange") == "reply.celery.pidbox"
                assert body["reply_to"].pop("routing_key")
        assert php_body == python_body
        assert php.delivery_info["exchange"] == python.delivery_info["exchange"] == "celery.pidbox"


def test_the_password_never_shows_through_control_queues_or_events(
    rabbitmq_server: RabbitMQServer, run_php
) -> None:
    result = run_php.file(
        "amqp_secrets_tools.php",
        env={
            "CB_GOOD_URL": rabbitmq_server.url(),
            "CB_BAD_URL": f"amqp://guest:Pa55-w0rd-x@127.0.0.1:{free_port()}//",
        },
    )
    output = result.stdout + result.stderr
    assert output.count("ConnectionRefused") >= 2
    assert "Pa55-w0rd-x" not in output
    # guest's password is "guest": both libraries keep it in their connection objects, which
    # stay wrapped, and the URL the client keeps for its channels too.
    dumps = "\n".join(part for part in result.stdout.split("DUMPS")[1:])
    assert "guest:guest" not in dumps
    assert "login_response" not in dumps and "object(AMQPConnection)" not in dumps
    assert [line for line in dumps.splitlines() if "password" in line.lower() and "guest" in line] == []
