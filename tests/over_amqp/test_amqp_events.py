"""Issue 27: Celery's events over RabbitMQ with PHP on both AMQP libraries. PHP's event stream
(EventStream on a queue bound to the celeryev topic exchange) reads what a real worker started
with -E publishes, and the task-sent event PHP publishes (celeryev, routing key task.sent,
delivery_mode 1, headers {hostname}) is read by Celery's own EventReceiver."""

from __future__ import annotations

import socket

import pytest
from amqp_helpers import (
    CLIENTS,
    capture_queue,
    get_all,
    named,
    send,
    task,
    task_sent_receiver,
    tools,
)
from celery import Celery

from harness import RedisServer
from rabbitmq import RabbitMQServer


@pytest.mark.parametrize("client", CLIENTS)
def test_php_reads_a_tasks_events_over_amqp_and_celery_reads_phps_task_sent(
    client: str,
    rabbitmq_server: RabbitMQServer,
    amqp_celery: Celery,
    start_amqp_worker,
    run_php,
) -> None:
    queue = named("amqp_events", client)
    start_amqp_worker([queue], hostname="amqpev@%h", extra_args=["-E"])
    with task_sent_receiver(amqp_celery) as (receiver, received):
        seen = tools(run_php, rabbitmq_server, client, "watch", queue)

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
    queue = named("amqp_sent_event", client)
    capture = named("capture_task_sent", client)
    capture_queue(rabbitmq_server, capture, "celeryev", "topic", "task.sent", durable=True)
    with task_sent_receiver(amqp_celery) as (receiver, received):
        config = {"amqp_client": client, "task_send_sent_event": True}
        [out] = send(run_php, rabbitmq_server, redis_server, [task(2, 3, queue=queue)], config)
        receiver.capture(timeout=10, wakeup=False)

    [message] = get_all(rabbitmq_server, capture, delete=True)
    get_all(rabbitmq_server, queue, delete=True)

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
