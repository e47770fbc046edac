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

from faults import AmqpCutProxy
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


def _get_all(rabbitmq_server: RabbitMQServer, queue: str) -> list[amqp.Message]:
    conn, channel = _channel(rabbitmq_server)
    try:
        messages = []
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            messages.append(message)
        return messages
    finally:
        conn.close()


def _shape(value: Any) -> Any:
    """A header value with what differs between two sends of the same call (ids, origin, dates)
    replaced by its Python type, which is the AMQP type py-amqp decoded."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def test_php_and_python_send_the_same_message_field_by_field(
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    amqp_celery: Celery,
    run_php,
) -> None:
    queue = "amqp_capture"
    options = {"countdown": 30, "expires": 600, "headers": {"x-custom": 7}}
    py = amqp_celery.send_task("tasks.add", args=[2, 3], kwargs={"k": "v"}, queue=queue, **options)
    [php] = _php(run_php, rabbitmq_server, redis_server, [
        {"call": "task", "name": "tasks.add", "args": [2, 3], "kwargs": {"k": "v"}, "options": {"queue": queue, **options}},
    ])
    got = {m.headers["id"]: m for m in _get_all(rabbitmq_server, queue)}
    assert set(got) == {py.id, php["id"]}
    p, q = got[py.id], got[php["id"]]
    # The same routing as Celery: the default exchange with the queue name.
    assert (q.delivery_info["exchange"], q.delivery_info["routing_key"]) == ("", queue)
    assert (p.delivery_info["exchange"], p.delivery_info["routing_key"]) == ("", queue)
    # Same header keys in the same order, same value types; same values where they are not ids/dates.
    assert list(q.headers) == list(p.headers)
    assert _shape(q.headers) == _shape(p.headers)
    for key in ("lang", "task", "retries", "timelimit", "argsrepr", "kwargsrepr", "ignore_result",
                "replaced_task_nesting", "stamped_headers", "stamps", "x-custom", "shadow", "group", "parent_id"):
        assert q.headers[key] == p.headers[key], key
    assert q.headers["root_id"] == php["id"]
    # Same properties (present or not), same values where they are not ids.
    pp = {k: v for k, v in p.properties.items() if k != "application_headers"}
    qp = {k: v for k, v in q.properties.items() if k != "application_headers"}
    assert sorted(qp) == sorted(pp)
    for key in ("content_type", "content_encoding", "delivery_mode", "priority"):
        assert qp[key] == pp[key], key
    assert qp["correlation_id"] == php["id"]
    assert abs(int(qp["expiration"]) - int(pp["expiration"])) < 5000
    # The body is the raw JSON (no base64), the same document (PHP writes it compact, as on Redis).
    assert json.loads(q.body) == json.loads(p.body)


def test_a_publish_to_an_exchange_no_queue_is_bound_to_is_routing_failed(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php,
) -> None:
    # amq.direct exists on every node; nothing is bound with this key: without mandatory and a
    # confirm, RabbitMQ would drop the message and Celery would report success.
    [out] = _php(run_php, rabbitmq_server, redis_server, [
        {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"exchange": "amq.direct", "routing_key": "nobody"}},
    ])
    assert out["error"] == "CeleryBridge\\Exception\\RoutingFailed", out
    assert "could not route" in out["message"] and "nobody" in out["message"]


def test_a_publish_to_a_missing_exchange_is_routing_failed(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php,
) -> None:
    out = _php(run_php, rabbitmq_server, redis_server, [
        {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"exchange": "no_such_exchange", "routing_key": "k"}},
        # The connection is still usable for the next call (a new channel).
        {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": "amqp_after_404"}},
    ])
    assert out[0]["error"] == "CeleryBridge\\Exception\\RoutingFailed", out
    assert "no_such_exchange" in out[0]["message"]
    assert "id" in out[1], out
    assert len(_get_all(rabbitmq_server, "amqp_after_404")) == 1


def test_a_queue_declared_with_other_arguments_is_refused_before_anything_is_published(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php,
) -> None:
    queue = "amqp_maxpri"
    conn, channel = _channel(rabbitmq_server)
    try:
        # As a worker with task_queue_max_priority=10 declares it.
        channel.exchange_declare(queue, "direct", durable=True, auto_delete=False)
        channel.queue_declare(queue, durable=True, auto_delete=False, arguments={"x-max-priority": 10})
        channel.queue_bind(queue, queue, queue)
    finally:
        conn.close()
    out = _php(run_php, rabbitmq_server, redis_server, [
        {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": queue}},
        {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": queue}},
    ])
    assert out[0]["error"] == "CeleryBridge\\Exception\\TopologyMismatch", out
    assert f'queue "{queue}"' in out[0]["message"] and '"x-max-priority"' in out[0]["message"]
    assert "PRECONDITION_FAILED" in out[0]["message"]
    assert out[1]["error"] == "CeleryBridge\\Exception\\TopologyMismatch"
    assert _get_all(rabbitmq_server, queue) == []
    # With the workers' setting it is accepted, and passive mode only checks.
    out = _php(run_php, rabbitmq_server, redis_server, [
        {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": queue, "priority": 9}},
    ], config={"task_queue_max_priority": 10})
    assert "id" in out[0], out
    out = _php(run_php, rabbitmq_server, redis_server, [
        {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": queue}},
        {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": "amqp_never_declared"}},
    ], config={"amqp_declare": "passive"})
    assert "id" in out[0], out
    assert out[1]["error"] == "CeleryBridge\\Exception\\RoutingFailed" and "amqp_never_declared" in out[1]["message"]
    assert [m.properties["priority"] for m in _get_all(rabbitmq_server, queue)] == [9, 0]


def test_a_connection_cut_between_publish_and_confirm_is_publish_outcome_unknown(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php,
) -> None:
    queue = "amqp_cut"
    proxy = AmqpCutProxy(rabbitmq_server.port)
    try:
        [out] = _php(run_php, rabbitmq_server, redis_server, [
            {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": queue}},
        ], broker=f"amqp://guest:guest@127.0.0.1:{proxy.port}//")
    finally:
        proxy.close()
    assert proxy.cuts == 1
    assert out["error"] == "CeleryBridge\\Exception\\PublishOutcomeUnknown", out
    assert len(out["uncertain"]) == 1 and out["uncertain"] == out["task_ids"]
    # "Unknown" was honest: RabbitMQ had it, and it was not sent twice.
    assert [m.headers["id"] for m in _get_all(rabbitmq_server, queue)] == out["uncertain"]
