"""Issue 27: Celery's events over RabbitMQ with PHP on both AMQP libraries. PHP's event stream
(EventStream on a queue bound to the celeryev topic exchange) reads what a real worker started
with -E publishes, and the task-sent event PHP publishes (celeryev, routing key task.sent,
delivery_mode 1, headers {hostname}) is read by Celery's own EventReceiver."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from celery import Celery

from harness import RedisServer
from rabbitmq import RabbitMQServer

BACKEND_DB = 1
CLIENTS = ["php-amqplib", "ext-amqp"]


def _tools(run_php, rabbitmq_server: RabbitMQServer, client: str, *args: str) -> Any:
    return run_php.file(
        "amqp_tools.php",
        env={"CB_AMQP_URL": rabbitmq_server.url(), "CB_AMQP_CLIENT": client},
        args=list(args),
    ).json()


@pytest.mark.parametrize("client", CLIENTS)
def test_php_reads_a_tasks_events_over_amqp_and_celery_reads_phps_task_sent(
    client: str,
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    amqp_celery: Celery,
    amqp_worker_env: dict[str, str | None],
    worker_factory,
    run_php,
) -> None:
    queue = f"amqp_events_{client.replace('-', '_')}"
    worker_factory(
        rabbitmq_server.url(),
        redis_server.url(BACKEND_DB),
        queues=[queue],
        hostname="amqpev@%h",
        extra_args=["-E"],
        env=amqp_worker_env,
    )
    received: list[dict[str, Any]] = []

    def on_task_sent(event: dict[str, Any]) -> None:
        received.append(event)
        receiver.should_stop = True

    with amqp_celery.connection_for_read() as conn:
        receiver = amqp_celery.events.Receiver(
            conn,
            handlers={"task-sent": on_task_sent},
            routing_key="task.sent",
            queue_exclusive=False,
            queue_ttl=300.0,
        )
        # Bound before PHP publishes: the event waits in Celery's receiver queue (not exclusive:
        # capture() consumes it on a connection of its own; a TTL longer than event_queue_ttl's
        # 5 s, which a loaded machine can spend in the PHP run).
        receiver.queue(conn.default_channel).declare()

        seen = _tools(run_php, rabbitmq_server, client, "watch", queue)

        # Until the handler has the event (a drain that times out also counts toward a limit).
        receiver.capture(timeout=10, wakeup=False)

    php = f"php@{socket.gethostname()}"
    worker = f"amqpev@{socket.gethostname()}"
    # In the order RabbitMQ delivered them: the worker's own may overtake PHP's task-sent,
    # which goes out after the task, as Celery sends it.
    assert sorted(seen) == [
        ["task-received", worker],
        ["task-sent", php],
        ["task-started", worker],
        ["task-succeeded", worker],
    ]
    worker_events = [e for e in seen if e[1] == worker]
    assert worker_events == [["task-received", worker], ["task-started", worker], ["task-succeeded", worker]]
    assert len(received) == 1
    event = received[0]
    assert event["type"] == "task-sent"
    assert event["hostname"] == php
    assert (event["name"], event["args"], event["queue"]) == ("tasks.add", "[2, 3]", queue)


@pytest.mark.parametrize("client", CLIENTS)
def test_a_client_with_task_send_sent_event_publishes_celerys_task_sent_over_amqp(
    client: str,
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    amqp_celery: Celery,
    run_php,
) -> None:
    queue = f"amqp_sent_event_{client.replace('-', '_')}"
    capture = f"capture_task_sent_{client.replace('-', '_')}"
    conn = rabbitmq_server.connection()
    try:
        channel = conn.channel()
        channel.exchange_declare("celeryev", "topic", durable=True, auto_delete=False)
        channel.queue_declare(capture, durable=False, auto_delete=False)
        channel.queue_bind(capture, "celeryev", "task.sent")
        received: list[dict[str, Any]] = []

        def on_task_sent(event: dict[str, Any]) -> None:
            received.append(event)
            receiver.should_stop = True

        with amqp_celery.connection_for_read() as read:
            receiver = amqp_celery.events.Receiver(
                read,
                handlers={"task-sent": on_task_sent},
                routing_key="task.sent",
                queue_exclusive=False,
                queue_ttl=300.0,
            )
            receiver.queue(read.default_channel).declare()
            out = run_php.file(
                "amqp_send.php",
                env={
                    "CELERY_BROKER_URL": rabbitmq_server.url(),
                    "CELERY_RESULT_BACKEND": redis_server.url(BACKEND_DB),
                    "CB_CONFIG": json.dumps({"amqp_client": client, "task_send_sent_event": True}),
                    "CB_CALLS": json.dumps(
                        [{"call": "task", "name": "tasks.add", "args": [2, 3], "options": {"queue": queue}}]
                    ),
                },
            ).json()
            receiver.capture(timeout=10, wakeup=False)

        message = channel.basic_get(capture, no_ack=True)
        channel.queue_delete(capture)
        channel.queue_delete(queue)
    finally:
        conn.close()

    [event] = received
    assert (event["type"], event["uuid"], event["name"], event["queue"]) == (
        "task-sent",
        out["id"],
        "tasks.add",
        queue,
    )
    # As Celery publishes it: transient, headers {hostname}, JSON.
    assert message.delivery_info["exchange"] == "celeryev"
    assert message.delivery_info["routing_key"] == "task.sent"
    assert message.properties["delivery_mode"] == 1
    assert message.properties["content_type"] == "application/json"
    assert message.properties["application_headers"] == {"hostname": event["hostname"]}
