"""Issue 27 item 8: a task without options takes the AMQP template path (Message\\AmqpTaskTemplate:
the content header from a template, no message builder). Captured from RabbitMQ, what it
publishes from sendTask() and from sendMany() is what Python's send_task publishes for the same
call: the same header keys in the same order, the same AMQP field types in the raw content
header, the same values where they are not ids, the same properties and the same body."""

from __future__ import annotations

import json
from typing import Any

from amqp_helpers import get_all, header_types, send
from celery import Celery

from harness import RedisServer
from rabbitmq import RabbitMQServer

ARGS: list[Any] = [2, "é", 1.5, None, True, [1, {"a": 2}], 10**12]
KWARGS: dict[str, Any] = {"k": "it's", "n": -7, "nested": {"x": [None]}}
# What differs between two sends of the same call.
IDS = ("id", "root_id", "origin")
PROPERTY_IDS = ("application_headers", "correlation_id", "reply_to")


def test_the_template_path_publishes_what_python_send_task_publishes(
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    amqp_celery: Celery,
    run_php,
    raw_headers: None,
) -> None:
    queue = "amqp_template_capture"
    # send_task(queue=...) sends priority 0, as sendTask() to the default queue does.
    py = amqp_celery.send_task("tasks.add", args=ARGS, kwargs=KWARGS, queue=queue)
    single, many = send(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            {"call": "task", "name": "tasks.add", "args": ARGS, "kwargs": KWARGS},
            {"call": "many", "tasks": [["tasks.add", ARGS, KWARGS], ["tasks.add", ARGS, KWARGS]]},
        ],
        config={"task_default_queue": queue, "amqp_client": "php-amqplib"},
    )
    php_ids = [single["id"], *(r["id"] for r in many["results"])]
    got = {m.headers["id"]: m for m in get_all(rabbitmq_server, queue, delete_exchange=True)}
    assert set(got) == {py.id, *php_ids}
    p = got[py.id]
    for php_id in php_ids:
        q = got[php_id]
        assert (q.delivery_info["exchange"], q.delivery_info["routing_key"]) == ("", queue)
        assert list(q.headers) == list(p.headers)
        assert header_types(q._raw_header) == header_types(p._raw_header)
        assert {k: v for k, v in q.headers.items() if k not in IDS} == {
            k: v for k, v in p.headers.items() if k not in IDS
        }
        assert q.headers["id"] == q.headers["root_id"] == q.properties["correlation_id"] == php_id
        pp = {k: v for k, v in p.properties.items() if k not in PROPERTY_IDS}
        qp = {k: v for k, v in q.properties.items() if k not in PROPERTY_IDS}
        assert qp == pp == {
            "content_type": "application/json",
            "content_encoding": "utf-8",
            "delivery_mode": 2,
            "priority": 0,
        }
        assert json.loads(q.body) == json.loads(p.body)
