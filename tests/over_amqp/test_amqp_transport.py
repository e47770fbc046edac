"""Issue 27: CeleryClient over RabbitMQ (Publish\\AmqpTransport). A real Celery worker with
broker_url amqp:// runs what PHP sends (sendTask, chain, group, chord with the Redis result
backend, sendMany) and the results are read back; each silent-loss route of AMQP becomes an
exception; the same call from Python's send_task and from PHP, captured from RabbitMQ, match
field by field with their AMQP types."""

from __future__ import annotations

import json
from typing import Any

import amqp
from celery import Celery

from harness import RedisServer
from rabbitmq import RabbitMQServer

BACKEND_DB = 1


def _php(run_php, rabbitmq_server: RabbitMQServer, redis_server: RedisServer, calls: list[dict[str, Any]],
         config: dict[str, Any] | None = None, broker: str | None = None, timeout: float = 60.0) -> list[dict[str, Any]]:
    result = run_php.file(
        "amqp_send.php",
        env={
            "CELERY_BROKER_URL": broker or rabbitmq_server.url(),
            "CELERY_RESULT_BACKEND": redis_server.url(BACKEND_DB),
            "CB_CONFIG": json.dumps(config or {}),
            "CB_CALLS": json.dumps(calls),
        },
        timeout=timeout,
    )
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def _channel(rabbitmq_server: RabbitMQServer) -> tuple[amqp.Connection, Any]:
    conn = rabbitmq_server.connection()
    return conn, conn.channel()


def test_a_worker_over_rabbitmq_runs_what_php_sends_and_the_results_are_read(
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    worker_factory,
    run_php,
) -> None:
    queue = "php_amqp_e2e"
    worker_factory(rabbitmq_server.url(), redis_server.url(BACKEND_DB), queues=[queue],
                   config={"task_default_queue": queue})
    out = _php(run_php, rabbitmq_server, redis_server, [
        {"call": "task", "name": "tasks.add", "args": [2, 3], "get": 30},
        {"call": "task", "name": "tasks.add", "args": [4, 5], "options": {"countdown": 1, "headers": {"h": 1}}, "get": 30},
        {"call": "chain", "tasks": [["tasks.add", [1, 2]], ["tasks.add", [10]]], "get": 30},
        {"call": "group", "tasks": [["tasks.add", [1, 1]], ["tasks.add", [2, 2]]], "get": 30},
        {"call": "chord", "tasks": [["tasks.add", [1, 1]], ["tasks.add", [2, 2]]], "body": ["tasks.xsum", []], "get": 30},
        {"call": "many", "tasks": [["tasks.add", [i, i]] for i in range(5)], "get": 30},
    ], config={"task_default_queue": queue})
    assert [o.get("result") for o in out[:5]] == [5, 9, 13, [2, 4], 6], out
    assert [r["result"] for r in out[5]["results"]] == [0, 2, 4, 6, 8]
