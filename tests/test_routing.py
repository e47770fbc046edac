"""The queue option and task_routes take a task from PHP to the worker consuming that queue.

An extra worker consumes only the routed queues; the session worker consumes only "celery".
Which worker ran a task (its node name) and the routing key it was delivered with
(request.delivery_info) show where PHP put the message.
"""

from __future__ import annotations

import socket
from typing import Any

import databases
from harness import CeleryWorker, Records, RedisServer

HOST = socket.gethostname()
ROUTED = f"routed@{HOST}"
SESSION = f"session@{HOST}"
ROUTED_QUEUES = ["by-option", "by-exact", "by-glob"]


def _start_routed_worker(worker_factory, redis_server: RedisServer) -> CeleryWorker:
    return worker_factory(redis_server.url(databases.BROKER), queues=ROUTED_QUEUES, hostname="routed@%h")


def _where(record: dict[str, Any]) -> tuple[str, str]:
    return record["node"], record["request"]["delivery_info"]["routing_key"]


def test_queue_option_reaches_only_the_worker_of_that_queue(
    worker: CeleryWorker, worker_factory, run_php, records: Records, redis_server: RedisServer
) -> None:
    _start_routed_worker(worker_factory, redis_server)

    sent = run_php.file("routing.php", args=["queue_option"]).json()

    got = {record["request"]["id"]: record for record in records.pop_many(2)}
    assert _where(got[sent["routed"]]) == (ROUTED, "by-option")
    assert _where(got[sent["default"]]) == (SESSION, "celery")


def test_task_routes_exact_name_then_glob_then_default(
    worker: CeleryWorker, worker_factory, run_php, records: Records, redis_server: RedisServer
) -> None:
    _start_routed_worker(worker_factory, redis_server)

    sent = run_php.file("routing.php", args=["task_routes"]).json()

    got = {record["request"]["id"]: record for record in records.pop_many(len(sent))}
    assert _where(got[sent["exact"]]) == (ROUTED, "by-exact")
    assert _where(got[sent["glob"]]) == (ROUTED, "by-glob")
    assert _where(got[sent["glob_order"]]) == (ROUTED, "by-glob")
    assert _where(got[sent["router_list"]]) == (ROUTED, "by-exact")
    assert _where(got[sent["option_wins"]]) == (ROUTED, "by-option")
    assert _where(got[sent["no_match"]]) == (SESSION, "celery")
    assert redis_server.client(databases.BROKER).exists("nowhere", "x") == 0


def test_exchange_and_routing_key_follow_the_bindings_workers_declared(
    worker: CeleryWorker, worker_factory, run_php, records: Records, redis_server: RedisServer
) -> None:
    # task_queues as a mapping is Celery's compact form: each queue is bound to a direct
    # exchange with a routing key, and the worker writes that binding to Redis at startup.
    bindings = {
        "task_queues": {
            "videos": {"exchange": "media", "routing_key": "video"},
            "thumbnails": {"exchange": "media", "routing_key": "video"},
            "audio": {"exchange": "media", "routing_key": "audio"},
        }
    }
    queues = list(bindings["task_queues"])
    worker_factory(redis_server.url(databases.BROKER), queues=queues, hostname="media@%h", config=bindings)

    sent = run_php.file("routing.php", args=["exchange"], env={"CB_EXCHANGE": "media"}).json()

    # A direct exchange delivers a copy to every queue bound with that key, as kombu does.
    got = records.pop_many(2)
    assert [record["request"]["id"] for record in got] == [sent, sent]
    assert sorted(record["request"]["delivery_info"]["routing_key"] for record in got) == ["video", "video"]
    assert {record["request"]["delivery_info"]["exchange"] for record in got} == {"media"}
    assert {record["node"] for record in got} == {f"media@{HOST}"}
    assert redis_server.client(databases.BROKER).exists("audio", "videos", "thumbnails") == 0


def test_bindings_written_with_another_separator(
    worker_factory, run_php, records: Records, redis_server: RedisServer
) -> None:
    # kombu joins "<routing key><sep><pattern><sep><queue>" with the sep transport option.
    transport = {"broker_transport_options": {"sep": ":"}}
    bindings = {"task_queues": {"colon-videos": {"exchange": "colon-media", "routing_key": "video"}}}
    worker_factory(
        redis_server.url(databases.BROKER),
        queues=["colon-videos"],
        hostname="colon@%h",
        config={**transport, **bindings},
    )

    env = {"CB_EXCHANGE": "colon-media", "CB_SEP": ":"}
    sent = run_php.file("routing.php", args=["exchange"], env=env).json()

    got = records.pop_many(1)
    assert [record["request"]["id"] for record in got] == [sent]
    assert _where(got[0]) == (f"colon@{HOST}", "video")
