"""Issue 27 groundwork: PHP publishes over RabbitMQ with php-amqplib, the content header encoded by
CeleryBridge\\Wire\\Amqp; a real Celery worker runs the task, and RabbitMQ hands out the same
properties and header table as for Python's send_task of the same call."""

from __future__ import annotations

import json
from typing import Any

from celery import Celery

from harness import Records
from rabbitmq import RabbitMQServer


def _php_publish(run_php, rabbitmq_server: RabbitMQServer, queue: str, *, with_priority: bool = True,
                 args: Any = (2, 3), kwargs: Any = None) -> dict[str, Any]:
    return run_php.file(
        "amqp_publish.php",
        env={
            "CB_AMQP_PORT": str(rabbitmq_server.port),
            "CB_QUEUE": queue,
            "CB_TASK": "tasks.record",
            "CB_ARGS": json.dumps(list(args)),
            "CB_KWARGS": json.dumps(kwargs or {}),
            "CB_WITH_PRIORITY": "1" if with_priority else "0",
        },
    ).json()


def test_a_task_php_publishes_over_amqp_runs_on_the_worker(
    rabbitmq_server: RabbitMQServer,
    start_amqp_worker,
    run_php,
    records: Records,
) -> None:
    start_amqp_worker(["php_amqp"])

    sent = _php_publish(run_php, rabbitmq_server, "php_amqp", args=[2, "é"], kwargs={"k": 1.5})

    assert sent["returned"] is False
    record = records.pop(timeout=20)
    assert record["args"] == [2, "é"]
    assert record["kwargs"] == {"k": 1.5}
    assert record["kwarg_types"] == {"k": "float"}
    assert record["request"]["id"] == sent["id"]
    assert record["request"]["delivery_info"]["exchange"] == ""
    assert record["request"]["delivery_info"]["routing_key"] == "php_amqp"


def test_php_and_python_send_task_reach_rabbitmq_with_the_same_properties_and_headers(
    rabbitmq_server: RabbitMQServer, amqp_celery: Celery, run_php
) -> None:
    queue = "php_amqp_capture"
    # Python first: kombu declares the queue (no worker consumes it), as a client would.
    python_id = amqp_celery.send_task("tasks.record", args=[2, 3], queue=queue).id
    # send_task(queue=...) sends priority 0, where apply_async(queue=...) sends none (the
    # captured queue_other case): the PHP side, sendTask(), keeps it.
    php_id = _php_publish(run_php, rabbitmq_server, queue)["id"]

    conn = rabbitmq_server.connection()
    try:
        channel = conn.channel()
        python_message = channel.basic_get(queue, no_ack=True)
        php_message = channel.basic_get(queue, no_ack=True)
        channel.queue_delete(queue)
        channel.exchange_delete(queue)
    finally:
        conn.close()

    python_props, php_props = (dict(m.properties) for m in (python_message, php_message))
    python_headers = python_props.pop("application_headers")
    php_headers = php_props.pop("application_headers")
    assert list(php_headers) == list(python_headers)
    for headers, task_id in ((python_headers, python_id), (php_headers, php_id)):
        assert headers.pop("id") == headers.pop("root_id") == task_id
        assert headers.pop("origin")
    # Decoded by py-amqp: bool, None, int, float, {} and [] keep their Python types.
    assert php_headers == python_headers
    assert [type(v) for v in php_headers.values()] == [type(v) for v in python_headers.values()]
    for props, task_id in ((python_props, python_id), (php_props, php_id)):
        assert props.pop("correlation_id") == task_id
        assert props.pop("reply_to")
    assert php_props == python_props == {
        "content_type": "application/json", "content_encoding": "utf-8", "delivery_mode": 2, "priority": 0
    }
    # The raw body: Python's separators differ from ours; the decoded body is the same.
    assert json.loads(php_message.body) == json.loads(python_message.body)
    assert python_message.delivery_info["routing_key"] == php_message.delivery_info["routing_key"] == queue
