"""The harness itself: fixtures start real processes and report what they did."""

from __future__ import annotations

import json
import socket

import pytest
from celery import Celery

import databases
from harness import CeleryWorker, Records, RedisServer
from python_worker.config import settings_from_env


def test_record_task_reports_arguments_types_and_request(
    worker: CeleryWorker, python_celery: Celery, records: Records
) -> None:
    sent = python_celery.send_task(
        "tasks.record",
        args=[2, 3.5, "x", None, True, [1, {"a": 2}]],
        kwargs={"k": "v"},
        headers={"x-trace": "abc"},
    )

    record = records.pop()

    assert record["args"] == [2, 3.5, "x", None, True, [1, {"a": 2}]]
    assert record["kwargs"] == {"k": "v"}
    assert record["arg_types"] == [
        "int",
        "float",
        "str",
        "NoneType",
        "bool",
        {"list": ["int", {"dict": {"a": "int"}}]},
    ]
    assert record["kwarg_types"] == {"k": "str"}
    request = record["request"]
    assert request["id"] == sent.id
    assert request["task"] == "tasks.record"
    assert request["root_id"] == sent.id
    assert request["headers"] == {"x-trace": "abc"}
    assert request["delivery_info"]["routing_key"] == "celery"
    assert request["hostname"].startswith("session@")
    assert isinstance(record["time"], float)


def test_results_and_custom_exceptions_reach_the_backend(
    worker: CeleryWorker, python_celery: Celery, redis_server: RedisServer
) -> None:
    assert python_celery.send_task("tasks.add", args=[2, 3]).get(timeout=10) == 5
    assert python_celery.send_task("tasks.xsum", args=[[1, 2, 3.5]]).get(timeout=10) == 6.5

    failed = python_celery.send_task("tasks.fail_custom", args=["card expired"])
    failed.get(timeout=10, propagate=False)

    meta = json.loads(redis_server.client(databases.BACKEND).get(f"celery-task-meta-{failed.id}"))
    assert meta["status"] == "FAILURE"
    assert meta["result"] == {
        "exc_type": "PaymentDeclined",
        "exc_message": ["card expired"],
        "exc_module": "python_worker.errors",
    }


def test_extra_worker_reads_config_json_queues_and_hostname(redis_factory, worker_factory) -> None:
    server: RedisServer = redis_factory(password="s3:cr/et")
    config = {"broker_transport_options": {"sep": ":"}}
    publisher = Celery("publisher", set_as_current=False)
    publisher.conf.update(settings_from_env({"CELERY_BROKER_URL": server.url(databases.BROKER)}), **config)
    try:
        sent = publisher.send_task("tasks.record", args=[1], queue="other", priority=9)
    finally:
        publisher.close()
    client = server.client(databases.BROKER)
    # kombu maps priority 9 to the step-9 list, named with the configured separator.
    assert client.llen("other:9") == 1

    extra = worker_factory(server.url(databases.BROKER), queues=["other"], hostname="extra@%h", config=config)

    record = Records(client).pop()
    assert record["request"]["id"] == sent.id
    assert record["request"]["hostname"] == record["node"] == f"extra@{socket.gethostname()}"
    assert record["request"]["delivery_info"]["routing_key"] == "other"
    assert record["request"]["delivery_info"]["priority"] == 9
    assert client.llen("other:9") == 0
    mark = extra.mark()
    assert extra.stop() == 0
    extra.wait_for_log(r"[Ww]arm shutdown", timeout=1, since=mark)


def test_redis_restart_keeps_the_port_and_drops_the_data(redis_factory) -> None:
    server: RedisServer = redis_factory(config=["maxmemory 64mb"])
    port = server.port
    server.client().set("k", "v")
    assert server.client().config_get("maxmemory") == {"maxmemory": str(64 * 1024 * 1024)}

    server.restart()

    assert server.port == port
    assert server.client().get("k") is None


def test_run_php_returns_output_and_sees_the_session_urls(run_php, redis_server: RedisServer) -> None:
    result = run_php("echo json_encode(['broker' => $brokerUrl, 'backend' => $backendUrl]);")

    assert result.json() == {
        "broker": redis_server.url(databases.BROKER),
        "backend": redis_server.url(databases.BACKEND),
    }
    assert result.returncode == 0


def test_run_php_fails_the_test_on_warnings_and_errors(run_php) -> None:
    with pytest.raises(pytest.fail.Exception, match="Undefined variable"):
        run_php("echo $nope;")
    with pytest.raises(pytest.fail.Exception, match="exited with 255"):
        run_php("throw new RuntimeException('boom');")

    tolerated = run_php("echo $nope; exit(3);", allow_warnings=True, check=False)
    assert tolerated.returncode == 3
    assert "Undefined variable $nope" in tolerated.stderr
    assert (
        run_php(
            "echo getenv('CELERY_RESULT_BACKEND') === false ? 'unset' : 'set';",
            env={"CELERY_RESULT_BACKEND": None},
        ).stdout
        == "unset"
    )
