"""Issue 27 item 8: a PHP-FPM request (a fresh PHP process, a new connection) sending one task
declares nothing when the topology exists. Its publish goes first: mandatory and confirmed, so
RabbitMQ says when the route is missing (basic.return before the basic.ack for a missing queue,
channel.close 404 for a missing exchange), nothing was routed then, and the client declares and
publishes once more. The recording proxy (tests/amqp_proxy.py) shows the AMQP methods of each
process; RabbitMQ's queue and a real worker show the task queued, and run, exactly once."""

from __future__ import annotations

from typing import Any

import pytest
from amqp_helpers import CLIENTS, get_all, named, send, task, waiting

from amqp_proxy import AmqpProxy, Method
from harness import Records, RedisServer
from rabbitmq import RabbitMQServer

DECLARES = ("exchange.declare", "queue.declare", "queue.bind")
# A publish RabbitMQ routed nowhere: the route declared, the task published once more.
REDECLARED = [
    "c:exchange.declare", "s:exchange.declare-ok", "c:queue.declare", "s:queue.declare-ok",
    "c:queue.bind", "s:queue.bind-ok",
    "c:basic.publish", "s:basic.ack",
]


def _process(
    run_php,
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    config: dict[str, Any],
    name: str = "tasks.add",
) -> tuple[dict[str, Any], list[Method]]:
    """One fresh PHP process sending one task through the recording proxy: its outcome and the
    methods of its connection (both directions)."""
    proxy = AmqpProxy(rabbitmq_server.port or 0)
    try:
        [out] = send(
            run_php,
            rabbitmq_server,
            redis_server,
            [task(1, name=name)],
            config,
            broker=rabbitmq_server.url(port=proxy.port),
        )
        return out, proxy.snapshot()
    finally:
        proxy.close()


def _publishing(methods: list[Method]) -> list[str]:
    """The methods from the first basic.publish to the last basic.ack, "c:" or "s:" the sender.
    ext-amqp's channel constructor sends basic.qos of its own: left out."""
    names = [f"{m.sender}:{m.name}" for m in methods if not m.name.startswith("basic.qos")]
    first = names.index("c:basic.publish")
    last = len(names) - names[::-1].index("s:basic.ack")
    return names[first:last]


@pytest.mark.parametrize("client", CLIENTS)
def test_a_new_process_declares_nothing_when_a_previous_one_left_the_topology(
    client: str, rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    queue = named("amqp_request_exists", client)
    config = {"task_default_queue": queue, "amqp_client": client, "task_queue_max_priority": 10}
    # The first process finds no queue: RabbitMQ returns its publish, it declares, publishes again.
    first, methods = _process(run_php, rabbitmq_server, redis_server, config)
    assert "id" in first, first
    assert _publishing(methods) == ["c:basic.publish", "s:basic.return", "s:basic.ack", *REDECLARED]

    later, methods = _process(run_php, rabbitmq_server, redis_server, config)

    assert "id" in later, later
    client_methods = [m.name for m in methods if m.sender == "c" and m.name != "basic.qos"]
    # One connection, one channel, confirms on, one publish; then the exit's closes.
    assert len({m.connection for m in methods}) == 1
    assert client_methods == [
        "connection.start-ok", "connection.tune-ok", "connection.open", "channel.open", "confirm.select",
        "basic.publish", "channel.close", "connection.close",
    ]
    assert not [m for m in methods if m.name.startswith(DECLARES)]
    # The queue the first one declared (x-max-priority 10, as the workers would) holds each task once.
    messages = get_all(rabbitmq_server, queue, delete_exchange=True)
    assert [m.headers["id"] for m in messages] == [first["id"], later["id"]]


def _delete_queue(rabbitmq_server: RabbitMQServer, queue: str) -> None:
    """An operator deletes the queue (and the message of the first process with it)."""
    get_all(rabbitmq_server, queue, delete=True)


def _delete_exchange(rabbitmq_server: RabbitMQServer, queue: str) -> None:
    """An operator deletes the queue's exchange (its binding goes with it; the queue stays)."""
    get_all(rabbitmq_server, queue)
    conn = rabbitmq_server.connection()
    try:
        conn.channel().exchange_delete(queue)
    finally:
        conn.close()


# What is deleted between the two processes, the queue's exchange type, what RabbitMQ answers the
# publish that goes first (nothing routed either way), and the delivery_info field that shows
# the worker received the task over the route declared again.
ROUTES_GONE = {
    # The publish goes to the default exchange: RabbitMQ returns it before its basic.ack.
    "queue": (_delete_queue, "direct", ["c:basic.publish", "s:basic.return", "s:basic.ack"], "routing_key"),
    # A topic exchange (the publish goes to the queue's own exchange): RabbitMQ closes the channel
    # with 404, and a new channel declares and publishes again.
    "exchange": (
        _delete_exchange, "topic",
        ["c:basic.publish", "s:channel.close", "c:channel.close-ok",
         "c:channel.open", "s:channel.open-ok", "c:confirm.select", "s:confirm.select-ok"],
        "exchange",
    ),
}


@pytest.mark.parametrize("gone", ROUTES_GONE)
@pytest.mark.parametrize("client", CLIENTS)
def test_a_route_deleted_between_two_processes_is_declared_again_and_its_task_runs_once(
    client: str,
    gone: str,
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    run_php,
    start_amqp_worker,
    records: Records,
) -> None:
    delete, exchange_type, refused, field = ROUTES_GONE[gone]
    queue = named(f"amqp_request_{gone}_gone", client)
    topology = {"task_default_queue": queue, "task_default_exchange_type": exchange_type}
    config = {**topology, "amqp_client": client}
    first, _ = _process(run_php, rabbitmq_server, redis_server, config)
    assert "id" in first, first
    delete(rabbitmq_server, queue)

    out, methods = _process(run_php, rabbitmq_server, redis_server, config, name="tasks.record")

    assert "id" in out, out
    # Routed nowhere, declared, published once more: queued once.
    assert _publishing(methods) == refused + REDECLARED
    assert waiting(rabbitmq_server, queue) == 1
    start_amqp_worker([queue], config=topology)
    record = records.pop(timeout=30)
    assert record["request"]["id"] == out["id"]
    assert record["request"]["delivery_info"][field] == queue
    assert get_all(rabbitmq_server, queue) == []
