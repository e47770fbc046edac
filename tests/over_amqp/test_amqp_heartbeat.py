"""A publisher that negotiated heartbeats (Celery's broker_heartbeat) and then stayed idle: PHP
runs no heartbeat thread, so RabbitMQ closes such a connection after two missed heartbeats,
and the next send must go out on a new connection, queued, not fail."""

from __future__ import annotations

import pytest
from amqp_helpers import get_all, named, send, task

from harness import RedisServer
from rabbitmq import RabbitMQServer

CLIENTS = ["php-amqplib", "ext-amqp"]


@pytest.mark.parametrize("client", CLIENTS)
def test_a_send_after_an_idle_time_longer_than_the_heartbeat_is_queued(
    client: str, rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    queue = named("amqp_heartbeat_idle", client)
    config = {"task_default_queue": queue, "broker_heartbeat": 1, "amqp_client": client}
    # Idle for well over two heartbeats (RabbitMQ's limit, and php-amqplib's own check).
    calls = [task(1, 1), {"call": "idle", "seconds": 4}, task(2, 2)]
    out = send(run_php, rabbitmq_server, redis_server, calls, config)
    try:
        assert [o.get("error") for o in out] == [None, None, None], out
        queued = {m.properties["correlation_id"] for m in get_all(rabbitmq_server, queue)}
        assert queued == {out[0]["id"], out[2]["id"]}
    finally:
        get_all(rabbitmq_server, queue, delete=True)
