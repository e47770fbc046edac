"""A publish RabbitMQ nacks: not queued, and the channel is not used again.

RabbitMQ nacks a confirmed publish it did not enqueue: a queue full with x-overflow
reject-publish, or a quorum queue that lost its leader. In the second case the channel itself
is stuck: a channel opened on a node just after the leader died keeps the dead leader, and
RabbitMQ 3.10 nacks every later publish on it (make cluster-test found it: no task was queued
after the failover). So after a nack the client opens a new channel for its next publish, and
sends what was nacked again under the publish retry policy (it was not queued: no duplicate).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from amqp_helpers import CLIENTS, get_all, named, send

from amqp_proxy import AmqpProxy
from harness import Records, RedisServer
from rabbitmq import RabbitMQServer

QUEUE = "amqp_nack"


@pytest.fixture
def full_queue(rabbitmq_server: RabbitMQServer) -> Iterator[Callable[[], list[str]]]:
    """A queue with room for one message (RabbitMQ nacks the publishes beyond it); yields what
    reads the ids of the messages it kept."""
    conn = rabbitmq_server.connection()
    try:
        channel = conn.channel()
        # As Celery's topology for a queue: a direct exchange of its name, bound with its name.
        channel.exchange_declare(QUEUE, "direct", durable=True, auto_delete=False)
        channel.queue_declare(QUEUE, durable=True, auto_delete=False,
                              arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
        channel.queue_bind(QUEUE, QUEUE, QUEUE)
    finally:
        conn.close()
    yield lambda: [message.headers["id"] for message in get_all(rabbitmq_server, QUEUE)]
    get_all(rabbitmq_server, QUEUE, delete_exchange=True)


def _send(run_php, rabbitmq_server: RabbitMQServer, redis_server: RedisServer, calls: list[dict[str, Any]],
          config: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Runs the calls through a recording proxy: their outcomes and the channels opened."""
    proxy = AmqpProxy(rabbitmq_server.port or 0)
    try:
        # The queue's arguments are the test's: check it exists, declare nothing.
        out = send(run_php, rabbitmq_server, redis_server, calls, {"amqp_declare": "passive", **config},
                   broker=rabbitmq_server.url(port=proxy.port))
        return out, [m for m in proxy.snapshot() if m.sender == "c" and m.name == "channel.open"]
    finally:
        proxy.close()


def _task(i: int) -> dict[str, Any]:
    return {"call": "task", "name": "tasks.add", "args": [i, i], "options": {"queue": QUEUE}}


@pytest.mark.parametrize("client", CLIENTS)
def test_a_nacked_publish_is_not_queued_and_the_next_publish_opens_a_new_channel(
    client: str,
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php, full_queue: Callable[[], list[str]]
) -> None:
    out, opened = _send(run_php, rabbitmq_server, redis_server, [_task(i) for i in range(3)],
                        {"task_publish_retry": False, "amqp_client": client})

    assert "id" in out[0], out
    for nacked in out[1:]:
        assert nacked["error"] == "CeleryBridge\\Exception\\ConnectionFailed", nacked
        assert "nack" in nacked["message"] and nacked["uncertain"] == [], nacked
    assert full_queue() == [out[0]["id"]]
    # One channel for the first two publishes, a new one for the third (after the first nack).
    assert len(opened) == 2, opened
    assert len({m.connection for m in opened}) == 1


@pytest.mark.parametrize("client", CLIENTS)
def test_nacked_messages_are_sent_again_and_a_partial_nack_names_what_was_queued(
    client: str,
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php, full_queue: Callable[[], list[str]]
) -> None:
    """A group of three into room for one: the first is queued, the two nacked are sent again
    on a new channel for each retry, and when the retries are spent the exception says which
    task of the group was queued and which were not."""
    group = {"call": "group", "tasks": [["tasks.add", [i, i]] for i in range(3)]}
    policy = {"max_retries": 2, "interval_start": 0, "interval_step": 0, "interval_max": 0}
    config = {"task_default_queue": QUEUE, "task_publish_retry_policy": policy, "amqp_client": client}
    out, opened = _send(run_php, rabbitmq_server, redis_server, [group], config)

    [failure] = out
    assert failure["error"] == "CeleryBridge\\Exception\\ConnectionFailed", failure
    assert "nack" in failure["message"], failure
    assert failure["uncertain"] == [], failure
    [queued] = failure["queued"]
    assert full_queue() == [queued]
    assert len(failure["task_ids"]) == 2 and queued not in failure["task_ids"], failure
    # The first channel, then one per retry (each nack drops its channel).
    assert len(opened) == 3, opened


def _many_with_a_repeated_id(repeated: str, other: str, task: str = "tasks.add") -> dict[str, Any]:
    """One sendMany() of three Signatures with fixed task ids, the first two the same (Celery
    lets a caller send one id twice: both messages are queued and both run)."""
    return {"call": "many", "tasks": [[task, [i, i], {}, {"task_id": task_id}]
                                      for i, task_id in enumerate([repeated, repeated, other])]}


@pytest.mark.parametrize("client", CLIENTS)
def test_a_batch_with_one_task_id_twice_queues_both_and_the_worker_runs_both(
    client: str, rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php, start_amqp_worker,
    records: Records,
) -> None:
    queue = named("amqp_twice", client)
    start_amqp_worker([queue])
    calls = [_many_with_a_repeated_id("twice-a", "twice-b", "tasks.record")]
    config = {"task_default_queue": queue, "amqp_client": client}
    out = send(run_php, rabbitmq_server, redis_server, calls, config)
    assert [r["id"] for r in out[0]["results"]] == ["twice-a", "twice-a", "twice-b"], out
    ran = sorted((r["request"]["id"], r["args"]) for r in records.pop_many(3, timeout=30))
    assert ran == [("twice-a", [0, 0]), ("twice-a", [1, 1]), ("twice-b", [2, 2])]


@pytest.mark.parametrize("client", CLIENTS)
def test_nacks_are_matched_by_publish_not_by_task_id_when_a_batch_carries_one_id_twice(
    client: str,
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php, full_queue: Callable[[], list[str]]
) -> None:
    """Room for one: the first "dup" is queued, the second "dup" and "other" are nacked. Only
    those two are sent again (matched by task id, the queued "dup" went again too, and the
    exception said nothing of the batch was queued)."""
    policy = {"max_retries": 2, "interval_start": 0, "interval_step": 0, "interval_max": 0}
    config = {"task_default_queue": QUEUE, "task_publish_retry_policy": policy, "amqp_client": client}
    proxy = AmqpProxy(rabbitmq_server.port or 0)
    try:
        out = send(run_php, rabbitmq_server, redis_server, [_many_with_a_repeated_id("dup", "other")],
                   {"amqp_declare": "passive", **config}, broker=rabbitmq_server.url(port=proxy.port))
        publishes = [m for m in proxy.snapshot() if m.sender == "c" and m.name == "basic.publish"]
    finally:
        proxy.close()

    [failure] = out
    assert failure["error"] == "CeleryBridge\\Exception\\ConnectionFailed", failure
    assert "nack" in failure["message"] and failure["uncertain"] == [], failure
    assert failure["queued"] == ["dup"], failure
    assert failure["task_ids"] == ["dup", "other"], failure
    assert full_queue() == ["dup"]
    # Three publishes, then the two nacked ones once per retry.
    assert len(publishes) == 3 + 2 + 2, [m.name for m in publishes]
