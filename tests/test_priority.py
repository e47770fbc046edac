"""Priorities from PHP are honoured by a real worker: on Redis, 0 runs first.

PHP publishes while no worker reads the queue; then one worker starts (solo pool, prefetch
multiplier 1, so it takes one message at a time) and the order in which tasks.record ran is
compared with kombu's rule: a priority goes to the list of the largest step not above it, the
worker drains the step lists in step order, each list first in first out.
"""

from __future__ import annotations

import json
import socket
from bisect import bisect_right
from typing import Any

import redis

import databases
from harness import Records, RedisServer
from wire import SEP

BROKER_DB = databases.BROKER


def kombu_order(priorities: list[int], steps: list[int]) -> list[int]:
    """Publish positions in the order kombu's Redis transport delivers them."""
    step = [steps[bisect_right(steps, priority) - 1] for priority in priorities]
    return sorted(range(len(priorities)), key=lambda index: step[index])  # stable: FIFO per step


def step_lengths(broker: redis.Redis, queue: str) -> list[int]:
    """LLEN of the queue's lists for the default steps 0, 3, 6, 9."""
    return [broker.llen(queue if step == 0 else f"{queue}{SEP}{step}") for step in (0, 3, 6, 9)]


def publish(run_php, queue: str, priorities: list[int], config: dict[str, Any] | None = None) -> list[str]:
    """Send tasks.record([position, priority]) for each priority, in order; return the ids."""
    env = {"CB_CONFIG": json.dumps(config or {}), "CB_PRIORITIES": json.dumps(priorities), "CB_QUEUE": queue}
    result = run_php.file("priority_publish.php", env=env)
    return result.json()


def run_in_order(
    worker_factory, redis_server: RedisServer, records: Records, queue: str, count: int,
    config: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Start a worker on `queue` only and return the records of the `count` tasks it ran."""
    worker_factory(
        redis_server.url(BROKER_DB),
        queues=[queue],
        hostname=f"{queue}@%h",
        prefetch_multiplier=1,
        concurrency=1,
        config=config,
    )
    got = records.pop_many(count, timeout=20)
    assert {record["node"] for record in got} == {f"{queue}@{socket.gethostname()}"}
    return got


def test_priorities_9_6_3_0_run_0_first(
    run_php, worker_factory, redis_server: RedisServer, records: Records
) -> None:
    priorities = [9, 6, 3, 0, 9, 6, 3, 0]
    ids = publish(run_php, "prio-a", priorities)
    broker = redis_server.client(BROKER_DB)
    # Each priority went to its own step list, named as kombu names it.
    assert step_lengths(broker, "prio-a") == [2, 2, 2, 2]

    got = run_in_order(worker_factory, redis_server, records, "prio-a", len(priorities))

    assert [record["args"][1] for record in got] == [0, 0, 3, 3, 6, 6, 9, 9]
    expected = [3, 7, 2, 6, 1, 5, 0, 4]
    assert [record["args"][0] for record in got] == kombu_order(priorities, [0, 3, 6, 9]) == expected
    assert [record["request"]["id"] for record in got] == [ids[position] for position in expected]
    # The worker sees the priority the message carried.
    assert [record["request"]["delivery_info"]["priority"] for record in got] == [0, 0, 3, 3, 6, 6, 9, 9]
    assert step_lengths(broker, "prio-a") == [0, 0, 0, 0]


def test_mixed_priorities_share_the_default_steps(
    run_php, worker_factory, redis_server: RedisServer, records: Records
) -> None:
    priorities = [9, 0, 6, 3, 5, 1, 8, 2, 7, 4]
    publish(run_php, "prio-b", priorities)
    broker = redis_server.client(BROKER_DB)
    # 0-2 share the plain list, 3-5 the step-3 list, 6-8 the step-6 list.
    assert step_lengths(broker, "prio-b") == [3, 3, 3, 1]

    got = run_in_order(worker_factory, redis_server, records, "prio-b", len(priorities))

    order = [record["args"][0] for record in got]
    assert order == kombu_order(priorities, [0, 3, 6, 9])
    assert [priorities[position] for position in order] == [0, 1, 2, 3, 5, 4, 6, 8, 7, 9]


def test_ten_priority_steps_and_a_custom_separator(
    run_php, worker_factory, redis_server: RedisServer, records: Records
) -> None:
    transport = {"broker_transport_options": {"priority_steps": list(range(10)), "sep": ":"}}
    priorities = [5, 9, 0, 7, 3, 1, 8, 2, 6, 4, 0, 9]
    publish(run_php, "prio-c", priorities, config=transport)
    broker = redis_server.client(BROKER_DB)
    assert broker.llen("prio-c") == 2
    assert [broker.llen(f"prio-c:{step}") for step in range(1, 10)] == [1, 1, 1, 1, 1, 1, 1, 1, 2]
    assert not any(SEP in key.decode() for key in broker.keys("prio-c*"))

    got = run_in_order(worker_factory, redis_server, records, "prio-c", len(priorities), config=transport)

    assert [record["args"][1] for record in got] == [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9]
    assert [record["args"][0] for record in got] == kombu_order(priorities, list(range(10)))
