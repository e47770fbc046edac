"""Issue 27: CeleryClient over RabbitMQ (Publish\\AmqpTransport). A real Celery worker with
broker_url amqp:// runs what PHP sends (sendTask, chain, group, chord with the Redis result
backend, sendMany) and the results are read back; each silent-loss route of AMQP becomes an
exception; the same call from Python's send_task and from PHP, captured from RabbitMQ, match
field by field with their AMQP types."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import amqp
import amqp.basic_message
import pytest
from celery import Celery

from faults import AmqpCutProxy
from harness import Records, RedisServer, free_port
from rabbitmq import RabbitMQServer
from servers import make_tls_files
from versions import WorkerVersions

BACKEND_DB = 1


def _php(
    run_php,
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    calls: list[dict[str, Any]],
    config: dict[str, Any] | None = None,
    broker: str | None = None,
    timeout: float = 60.0,
) -> list[dict[str, Any]]:
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
    worker_factory(
        rabbitmq_server.url(),
        redis_server.url(BACKEND_DB),
        queues=[queue],
        config={"task_default_queue": queue},
    )
    out = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            {"call": "task", "name": "tasks.add", "args": [2, 3], "get": 30},
            {
                "call": "task",
                "name": "tasks.add",
                "args": [4, 5],
                "options": {"countdown": 1, "headers": {"h": 1}},
                "get": 30,
            },
            {"call": "chain", "tasks": [["tasks.add", [1, 2]], ["tasks.add", [10]]], "get": 30},
            {"call": "group", "tasks": [["tasks.add", [1, 1]], ["tasks.add", [2, 2]]], "get": 30},
            {
                "call": "chord",
                "tasks": [["tasks.add", [1, 1]], ["tasks.add", [2, 2]]],
                "body": ["tasks.xsum", []],
                "get": 30,
            },
            {"call": "many", "tasks": [["tasks.add", [i, i]] for i in range(5)], "get": 30},
        ],
        config={"task_default_queue": queue},
    )
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


_FIXED = {
    "I": 4,
    "i": 4,
    "l": 8,
    "L": 8,
    "t": 1,
    "b": 1,
    "B": 1,
    "s": 2,
    "u": 2,
    "d": 8,
    "f": 4,
    "T": 8,
    "D": 5,
    "V": 0,
}


def _value_type(buf: bytes, at: int) -> tuple[str, int]:
    """The AMQP type signature of the field value at `at` (e.g. "A[V,V]", "F{a:I}") and where it ends."""
    kind = chr(buf[at])
    at += 1
    if kind in _FIXED:
        return kind, at + _FIXED[kind]
    size = int.from_bytes(buf[at : at + 4], "big")
    at += 4
    end = at + size
    if kind in "Sx":
        return kind, end
    parts = []
    while at < end:
        if kind == "F":
            key_len = buf[at]
            key = buf[at + 1 : at + 1 + key_len].decode()
            at += 1 + key_len
            sig, at = _value_type(buf, at)
            parts.append(f"{key}:{sig}")
        else:
            sig, at = _value_type(buf, at)
            parts.append(sig)
    return (f"F{{{','.join(parts)}}}" if kind == "F" else f"A[{','.join(parts)}]"), end


def _header_types(raw: bytes) -> str:
    """The header table's keys and AMQP types, in order, from a raw content header (as py-amqp
    received it: class, weight, body size, flags, then content_type, content_encoding, headers)."""
    at = 14
    for _ in range(2):  # content_type, content_encoding (shortstr)
        at += 1 + raw[at]
    return _value_type(b"F" + raw[at:], 0)[0]


@pytest.fixture
def raw_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keeps the raw content header of every message py-amqp receives (message._raw_header)."""
    original = amqp.basic_message.Message.inbound_header

    def inbound_header(self: Any, buf: Any, offset: int = 0) -> int:
        self._raw_header = bytes(buf[offset:])
        return original(self, buf, offset)

    monkeypatch.setattr(amqp.basic_message.Message, "inbound_header", inbound_header)


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
    raw_headers: None,
) -> None:
    queue = "amqp_capture"
    options = {"countdown": 30, "expires": 600, "headers": {"x-custom": 7}}
    py = amqp_celery.send_task("tasks.add", args=[2, 3], kwargs={"k": "v"}, queue=queue, **options)
    [php] = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            {
                "call": "task",
                "name": "tasks.add",
                "args": [2, 3],
                "kwargs": {"k": "v"},
                "options": {"queue": queue, **options},
            },
        ],
    )
    got = {m.headers["id"]: m for m in _get_all(rabbitmq_server, queue)}
    assert set(got) == {py.id, php["id"]}
    p, q = got[py.id], got[php["id"]]
    # The same routing as Celery: the default exchange with the queue name.
    assert (q.delivery_info["exchange"], q.delivery_info["routing_key"]) == ("", queue)
    assert (p.delivery_info["exchange"], p.delivery_info["routing_key"]) == ("", queue)
    # Same header keys in the same order, same value types; same values where they are not ids/dates.
    assert list(q.headers) == list(p.headers)
    assert _shape(q.headers) == _shape(p.headers)
    # ... and the same AMQP field types, read from the raw content headers (I, not l; F{} stamps).
    assert _header_types(q._raw_header) == _header_types(p._raw_header)
    assert "retries:I" in _header_types(q._raw_header) and "stamps:F{}" in _header_types(q._raw_header)
    for key in (
        "lang",
        "task",
        "retries",
        "timelimit",
        "argsrepr",
        "kwargsrepr",
        "ignore_result",
        "replaced_task_nesting",
        "stamped_headers",
        "stamps",
        "x-custom",
        "shadow",
        "group",
        "parent_id",
    ):
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
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    run_php,
) -> None:
    # amq.direct exists on every node; nothing is bound with this key: without mandatory and a
    # confirm, RabbitMQ would drop the message and Celery would report success.
    [out] = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            {
                "call": "task",
                "name": "tasks.add",
                "args": [1, 2],
                "options": {"exchange": "amq.direct", "routing_key": "nobody"},
            },
        ],
    )
    assert out["error"] == "CeleryBridge\\Exception\\RoutingFailed", out
    assert "could not route" in out["message"] and "nobody" in out["message"]


def test_a_publish_to_a_missing_exchange_is_routing_failed(
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    run_php,
) -> None:
    out = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            {
                "call": "task",
                "name": "tasks.add",
                "args": [1, 2],
                "options": {"exchange": "no_such_exchange", "routing_key": "k"},
            },
            # The connection is still usable for the next call (a new channel).
            {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": "amqp_after_404"}},
        ],
    )
    assert out[0]["error"] == "CeleryBridge\\Exception\\RoutingFailed", out
    assert "no_such_exchange" in out[0]["message"]
    assert "id" in out[1], out
    assert len(_get_all(rabbitmq_server, "amqp_after_404")) == 1


def test_a_queue_declared_with_other_arguments_is_refused_before_anything_is_published(
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    run_php,
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
    out = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": queue}},
            {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": queue}},
        ],
    )
    assert out[0]["error"] == "CeleryBridge\\Exception\\TopologyMismatch", out
    assert f'queue "{queue}"' in out[0]["message"] and '"x-max-priority"' in out[0]["message"]
    assert "PRECONDITION_FAILED" in out[0]["message"]
    assert out[1]["error"] == "CeleryBridge\\Exception\\TopologyMismatch"
    assert _get_all(rabbitmq_server, queue) == []
    # With the workers' setting it is accepted, and passive mode only checks.
    out = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": queue, "priority": 9}},
        ],
        config={"task_queue_max_priority": 10},
    )
    assert "id" in out[0], out
    out = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": queue}},
            {
                "call": "task",
                "name": "tasks.add",
                "args": [1, 2],
                "options": {"queue": "amqp_never_declared"},
            },
        ],
        config={"amqp_declare": "passive"},
    )
    assert "id" in out[0], out
    assert (
        out[1]["error"] == "CeleryBridge\\Exception\\RoutingFailed"
        and "amqp_never_declared" in out[1]["message"]
    )
    assert [m.properties["priority"] for m in _get_all(rabbitmq_server, queue)] == [9, 0]


def test_a_connection_cut_between_publish_and_confirm_is_publish_outcome_unknown(
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    run_php,
) -> None:
    queue = "amqp_cut"
    proxy = AmqpCutProxy(rabbitmq_server.port)
    try:
        [out] = _php(
            run_php,
            rabbitmq_server,
            redis_server,
            [
                {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": queue}},
            ],
            broker=f"amqp://guest:guest@127.0.0.1:{proxy.port}//",
        )
    finally:
        proxy.close()
    assert proxy.cuts == 1
    assert out["error"] == "CeleryBridge\\Exception\\PublishOutcomeUnknown", out
    assert len(out["uncertain"]) == 1 and out["uncertain"] == out["task_ids"]
    # "Unknown" was honest: RabbitMQ had it, and it was not sent twice.
    assert [m.headers["id"] for m in _get_all(rabbitmq_server, queue)] == out["uncertain"]


def test_a_countdown_on_a_quorum_topic_queue_goes_through_native_delayed_delivery(
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    amqp_worker_env: dict[str, str | None],
    worker_factory,
    run_php,
    records: Records,
    worker_release: WorkerVersions,
) -> None:
    if not worker_release.native_delayed_delivery:
        pytest.skip("native delayed delivery: Celery 5.5+ workers build the celery_delayed_* exchanges")
    queue = "amqp_quorum"
    config = {
        "task_default_queue": queue,
        "task_default_queue_type": "quorum",
        "task_default_exchange_type": "topic",
    }
    # The worker builds the celery_delayed_* topology at start (a quorum queue is configured).
    worker_factory(
        rabbitmq_server.url(),
        redis_server.url(BACKEND_DB),
        queues=[queue],
        config=config,
        env=amqp_worker_env,
    )
    out = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            {"call": "task", "name": "tasks.record", "args": [1], "options": {"countdown": 3}},
            {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"priority": 5}},
        ],
        config=config,
    )
    assert "id" in out[0], out
    record = records.pop(timeout=30)
    assert record["request"]["id"] == out[0]["id"]
    # It came back from the delay levels (Celery's routing), not straight from the queue's exchange.
    assert record["request"]["delivery_info"]["exchange"] == "celery_delayed_delivery"
    key = record["request"]["delivery_info"]["routing_key"]
    assert key.endswith("." + queue) and key.split(".")[:28] == list(format(3, "028b"))
    # A priority on a quorum queue is refused: RabbitMQ would ignore it.
    assert out[1]["error"] == "CeleryBridge\\Exception\\InvalidOption", out
    assert "quorum" in out[1]["message"] and "ignores" in out[1]["message"]


def test_a_failover_list_connects_to_the_next_url_when_one_fails(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    dead = f"amqp://guest:s3cr3t@127.0.0.1:{free_port()}//"
    out = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [{"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": "amqp_failover"}}],
        broker=f"{dead};{rabbitmq_server.url()}",
    )
    assert "id" in out[0], out
    assert [m.headers["id"] for m in _get_all(rabbitmq_server, "amqp_failover")] == [out[0]["id"]]
    # Without retries the first failure is the answer: not queued, the server named, no password.
    out = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [{"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": "amqp_failover"}}],
        broker=f"{dead};{rabbitmq_server.url()}",
        config={"task_publish_retry": False},
    )
    assert out[0]["error"] == "CeleryBridge\\Exception\\ConnectionRefused", out
    assert out[0]["uncertain"] == [] and len(out[0]["task_ids"]) == 1
    assert "RabbitMQ at 127.0.0.1:" in out[0]["message"] and "s3cr3t" not in out[0]["message"]
    assert _get_all(rabbitmq_server, "amqp_failover") == []


def test_a_wrong_password_is_authentication_failed_at_once_and_never_shown(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    out = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [{"call": "task", "name": "tasks.add", "args": [1, 2]}],
        broker=f"amqp://guest:wr0ngpass@127.0.0.1:{rabbitmq_server.port}//",
    )
    assert out[0]["error"] == "CeleryBridge\\Exception\\AuthenticationFailed", out
    assert "wr0ngpass" not in out[0]["message"]


def test_a_connected_php_amqplib_connection_can_be_the_broker(
    rabbitmq_server: RabbitMQServer, run_php
) -> None:
    sent = run_php.file(
        "amqp_injected.php", env={"CB_AMQP_PORT": str(rabbitmq_server.port), "CB_QUEUE": "amqp_injected"}
    ).json()
    assert [m.headers["id"] for m in _get_all(rabbitmq_server, "amqp_injected")] == [sent["id"]]


def test_task_queues_from_the_celeryconfig_route_as_on_the_workers(
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    worker_factory,
    run_php,
) -> None:
    # A topic queue defined in task_queues, as a celeryconfig dict (Celery's Queues reads it too).
    config = {
        "task_queues": {
            "amqp_media": {"exchange": "media", "exchange_type": "topic", "routing_key": "media.#"},
        },
        "task_default_queue": "amqp_media",
    }
    worker_factory(rabbitmq_server.url(), redis_server.url(BACKEND_DB), queues=["amqp_media"], config=config)
    out = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            {
                "call": "task",
                "name": "tasks.add",
                "args": [20, 22],
                "options": {"queue": "amqp_media"},
                "get": 30,
            }
        ],
        config=config,
    )
    assert out[0].get("result") == 42, out


def test_a_connection_the_broker_dropped_between_two_publishes_is_replaced_before_the_next(
    rabbitmq_server: RabbitMQServer, run_php, tmp_path
) -> None:
    # Without the check the second publish goes into a dead socket and comes back as
    # PublishOutcomeUnknown, although it never reached RabbitMQ.
    flag = tmp_path / "cut"
    proxy = AmqpCutProxy(rabbitmq_server.port, mode="after_confirm", flag=str(flag))
    try:
        result = run_php.file(
            "amqp_two_sends.php",
            env={
                "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}//",
                "CB_FLAG": str(flag),
                "CB_QUEUE": "amqp_two_sends",
            },
        )
    finally:
        proxy.close()
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert proxy.cuts == 1 and flag.exists()
    assert all("id" in o for o in out), out
    assert [m.headers["id"] for m in _get_all(rabbitmq_server, "amqp_two_sends")] == [o["id"] for o in out]


def test_priorities_reach_an_x_max_priority_queue_highest_first_and_big_bodies_are_framed(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    queue = "amqp_priorities"
    big = 300_000  # bytes: more than one body frame (frame_max 131072)
    out = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            {"call": "task", "name": "tasks.add", "args": [0, 0], "options": {"queue": queue, "priority": 0}},
            {"call": "task", "name": "tasks.add", "args": [9, 9], "options": {"queue": queue, "priority": 9}},
            {"call": "task", "name": "tasks.add", "args": [5, 5], "options": {"queue": queue, "priority": 5}},
            {"call": "task", "name": "tasks.echo", "big": big, "options": {"queue": queue, "priority": 1}},
        ],
        config={"task_queue_max_priority": 10},
    )
    assert all("id" in o for o in out), out
    got = _get_all(rabbitmq_server, queue)
    # AMQP priorities: 9 is the highest (the inverse of kombu's Redis priority steps).
    assert [m.properties["priority"] for m in got] == [9, 5, 1, 0]
    assert json.loads(got[2].body)[0] == ["x" * big]


def test_the_task_sent_event_goes_to_the_celeryev_topic_exchange(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    conn, channel = _channel(rabbitmq_server)
    try:
        # What a Python EventReceiver binds: the topic exchange Celery declares for events.
        channel.exchange_declare("celeryev", "topic", durable=True, auto_delete=False)
        channel.queue_declare("amqp_events_capture", durable=False, auto_delete=False)
        channel.queue_bind("amqp_events_capture", "celeryev", "task.#")
    finally:
        conn.close()
    [out] = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [{"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": "amqp_events_q"}}],
        config={"task_send_sent_event": True},
    )
    [event] = _get_all(rabbitmq_server, "amqp_events_capture")
    body = json.loads(event.body)
    assert (body["type"], body["uuid"], body["queue"]) == ("task-sent", out["id"], "amqp_events_q")
    assert event.delivery_info["routing_key"] == "task.sent"
    assert event.properties["delivery_mode"] == 1
    assert event.headers == {"hostname": body["hostname"]}
    assert len(_get_all(rabbitmq_server, "amqp_events_q")) == 1


def test_the_password_of_an_amqp_url_is_never_shown(rabbitmq_server: RabbitMQServer, run_php) -> None:
    # guest's password is "guest"; the refused URL gets a distinctive one.
    result = run_php.file(
        "amqp_secrets.php",
        env={
            "CB_GOOD_URL": rabbitmq_server.url(),
            "CB_BAD_URL": f"amqp://guest:Pa55-w0rd-x@127.0.0.1:{free_port()}//",
        },
    )
    assert "ConnectionRefused" in result.stdout
    assert "Pa55-w0rd-x" not in result.stdout + result.stderr
    # The connected client's dumps: php-amqplib keeps the password (login_response) in its
    # connection object, which stays wrapped.
    dumps = result.stdout.split("ConnectionRefused", 1)[1]
    assert "login_response" not in dumps and "PhpAmqpLib\\Connection" not in dumps
    assert [line for line in dumps.splitlines() if "password" in line.lower() and "guest" in line] == []
    _get_all(rabbitmq_server, "amqp_secrets")


def test_send_many_cut_in_its_second_batch_reports_the_first_as_queued(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    queue = "amqp_many_cut"
    proxy = AmqpCutProxy(rabbitmq_server.port, after=200)  # the first chunk is 200 messages
    try:
        [out] = _php(
            run_php,
            rabbitmq_server,
            redis_server,
            [
                {
                    "call": "many",
                    "tasks": [["tasks.add", [i, i]] for i in range(250)],
                    "options": {"queue": queue},
                }
            ],
            broker=f"amqp://guest:guest@127.0.0.1:{proxy.port}//",
        )
    finally:
        proxy.close()
    assert out["error"] == "CeleryBridge\\Exception\\PublishOutcomeUnknown", out
    assert len(out["queued"]) == 200 and len(out["uncertain"]) == 50 and out["task_ids"] == out["uncertain"]
    got = [m.headers["id"] for m in _get_all(rabbitmq_server, queue)]
    # Every task reported queued is there once; anything else there was reported uncertain.
    assert len(got) == len(set(got))
    assert set(out["queued"]) <= set(got) <= set(out["queued"]) | set(out["uncertain"])


def test_amqps_really_speaks_tls(rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php) -> None:
    # The node's port speaks plain AMQP: a TLS client must fail the handshake, not fall back.
    [out] = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [{"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": "amqp_tls"}}],
        broker=f"amqps://guest:guest@127.0.0.1:{rabbitmq_server.port}//",
        config={"task_publish_retry": False},
    )
    assert out["error"] == "CeleryBridge\\Exception\\TlsFailed", out
    assert "amqps" in out["message"]


def test_amqps_with_broker_use_ssl_verifies_the_broker_certificate(
    redis_server: RedisServer, run_php
) -> None:
    # A node of its own with a TLS listener (certificate for DNS:localhost, signed by a test CA).
    directory = Path(tempfile.mkdtemp(prefix="cb-amqp-tls-"))
    try:
        tls = make_tls_files(directory)
        directory.chmod(0o755)
        for path in directory.iterdir():
            path.chmod(0o644)
        tls_port = free_port()
        node = RabbitMQServer(
            config=[
                f"listeners.ssl.default = 127.0.0.1:{tls_port}",
                f"ssl_options.cacertfile = {tls.ca}",
                f"ssl_options.certfile = {tls.server_cert}",
                f"ssl_options.keyfile = {tls.server_key}",
                "ssl_options.verify = verify_none",
                "ssl_options.fail_if_no_peer_cert = false",
            ]
        )
        node.start()
        try:
            call = [
                {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": "amqp_tls_ok"}}
            ]
            broker = f"amqps://guest:guest@127.0.0.1:{tls_port}//"
            ssl = {"ca_certs": str(tls.ca), "cert_reqs": "CERT_REQUIRED", "server_hostname": "localhost"}
            [ok] = _php(run_php, node, redis_server, call, broker=broker, config={"broker_use_ssl": ssl})
            assert "id" in ok, ok
            assert [m.headers["id"] for m in _get_all(node, "amqp_tls_ok")] == [ok["id"]]
            # Another CA: the broker's certificate is refused, nothing is sent.
            wrong = {**ssl, "ca_certs": str(tls.other_ca)}
            [refused] = _php(
                run_php,
                node,
                redis_server,
                call,
                broker=broker,
                config={"broker_use_ssl": wrong, "task_publish_retry": False},
            )
            assert refused["error"] == "CeleryBridge\\Exception\\TlsFailed", refused
        finally:
            node.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_url_forms_pyamqp_vhost_percent_2f_and_heartbeat_connect(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    port = rabbitmq_server.port
    for url in (
        f"pyamqp://guest:guest@127.0.0.1:{port}/%2F?heartbeat=10&connect_timeout=5",
        f"librabbitmq://guest:guest@127.0.0.1:{port}",
    ):
        [out] = _php(
            run_php,
            rabbitmq_server,
            redis_server,
            [{"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": "amqp_url_forms"}}],
            broker=url,
        )
        assert "id" in out, (url, out)
    assert len(_get_all(rabbitmq_server, "amqp_url_forms")) == 2
