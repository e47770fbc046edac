"""A publish RabbitMQ nacks: not queued, and the channel is not used again.

RabbitMQ nacks a confirmed publish it did not enqueue: a queue full with x-overflow
reject-publish, or a quorum queue that lost its leader. In the second case the channel itself
is stuck: a channel opened on a node just after the leader died keeps the dead leader, and
RabbitMQ 3.10 nacks every later publish on it (make cluster-test found it: no task was queued
after the failover). So after a nack the client opens a new channel for its next publish.
"""

from __future__ import annotations

import json

from amqp_helpers import get_all

from amqp_proxy import AmqpProxy
from harness import RedisServer
from rabbitmq import RabbitMQServer

BACKEND_DB = 1


def test_a_nacked_publish_is_not_queued_and_the_next_publish_opens_a_new_channel(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    queue = "amqp_nack"
    conn = rabbitmq_server.connection()
    try:
        channel = conn.channel()
        # As Celery's topology for a queue: a direct exchange of its name, bound with its name.
        channel.exchange_declare(queue, "direct", durable=True, auto_delete=False)
        # Room for one message; RabbitMQ nacks the publishes beyond it.
        channel.queue_declare(queue, durable=True, auto_delete=False,
                              arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
        channel.queue_bind(queue, queue, queue)
    finally:
        conn.close()
    proxy = AmqpProxy(rabbitmq_server.port or 0)
    try:
        calls = [{"call": "task", "name": "tasks.add", "args": [i, i], "options": {"queue": queue}}
                 for i in range(3)]
        result = run_php.file(
            "amqp_send.php",
            env={
                "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}//",
                "CELERY_RESULT_BACKEND": redis_server.url(BACKEND_DB),
                # The queue's arguments are the test's: check it exists, declare nothing.
                "CB_CONFIG": json.dumps({"amqp_declare": "passive"}),
                "CB_CALLS": json.dumps(calls),
            },
        )
        out = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        opened = [m for m in proxy.snapshot() if m.sender == "c" and m.name == "channel.open"]
    finally:
        proxy.close()
    queued = [message.headers["id"] for message in get_all(rabbitmq_server, queue, delete_exchange=True)]

    assert "id" in out[0], out
    for nacked in out[1:]:
        assert nacked["error"] == "CeleryBridge\\Exception\\ConnectionFailed", nacked
        assert "nack" in nacked["message"] and nacked["uncertain"] == [], nacked
    assert queued == [out[0]["id"]]
    # One channel for the first two publishes, a new one for the third (after the first nack).
    assert len(opened) == 2, opened
    assert len({m.connection for m in opened}) == 1
