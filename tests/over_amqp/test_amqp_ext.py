"""Issue 27, item 2: ext-amqp (php-amqp 1.11) as the second PHP AMQP library of CeleryClient
(amqp_client => 'ext-amqp'). A real worker runs what it sends (task, countdown, chain, group,
chord, sendMany) with the results read from Redis; the silent-loss routes are exceptions as with
php-amqplib; and the one documented difference on the wire: ext-amqp writes every int as a
64-bit field (l) and the empty `stamps` table as an empty array, which the worker accepts."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from test_amqp_transport import _header_types, raw_headers  # noqa: F401 (raw_headers: a fixture)

from faults import AmqpCutProxy
from harness import RedisServer, free_port
from rabbitmq import RabbitMQServer
from servers import make_tls_files

BACKEND_DB = 1
EXT = {"amqp_client": "ext-amqp"}


def _php(
    run_php,
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    calls: list[dict[str, Any]],
    config: dict[str, Any],
) -> list[dict[str, Any]]:
    result = run_php.file(
        "amqp_send.php",
        env={
            "CELERY_BROKER_URL": rabbitmq_server.url(),
            "CELERY_RESULT_BACKEND": redis_server.url(BACKEND_DB),
            "CB_CONFIG": json.dumps(config),
            "CB_CALLS": json.dumps(calls),
        },
        timeout=60,
    )
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def _get_all(rabbitmq_server: RabbitMQServer, queue: str) -> list[Any]:
    conn = rabbitmq_server.connection()
    try:
        channel = conn.channel()
        messages = []
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            messages.append(message)
        channel.queue_delete(queue)
        return messages
    finally:
        conn.close()


def test_a_worker_runs_what_php_sends_over_ext_amqp(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, worker_factory, run_php
) -> None:
    queue = "php_ext_amqp_e2e"
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
                "options": {"countdown": 1, "time_limit": 30},
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
        {"task_default_queue": queue, **EXT},
    )
    assert [o.get("result") for o in out[:5]] == [5, 9, 13, [2, 4], 6], out
    assert [r["result"] for r in out[5]["results"]] == [0, 2, 4, 6, 8]


@pytest.mark.parametrize("client", ["php-amqplib", "ext-amqp"])
def test_the_header_types_each_library_writes(
    client: str, rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    queue = f"php_types_{client.replace('-', '_')}"
    [sent] = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [{"call": "task", "name": "tasks.add", "args": [2, 3], "options": {"queue": queue, "retries": 2}}],
        {"amqp_client": client},
    )
    [message] = _get_all(rabbitmq_server, queue)

    headers = message.properties["application_headers"]
    assert headers["id"] == sent["id"] and headers["retries"] == 2
    # py-amqp decodes I and l alike; the empty stamps table F{} (php-amqplib, as Celery) comes
    # back as {}, ext-amqp's empty array A[] as [].
    assert headers["stamps"] == ({} if client == "php-amqplib" else [])
    assert message.properties["content_type"] == "application/json"
    assert message.properties["delivery_mode"] == 2
    assert json.loads(message.body)[0] == [2, 3]


def test_the_silent_loss_routes_are_exceptions_over_ext_amqp(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    out = _php(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            # Unroutable: mandatory + confirm say so (RabbitMQ would drop it and ack).
            {
                "call": "task",
                "name": "tasks.add",
                "args": [1, 2],
                "options": {"exchange": "amq.direct", "routing_key": "nobody"},
            },
            # A missing exchange closes the channel.
            {
                "call": "task",
                "name": "tasks.add",
                "args": [1, 2],
                "options": {"exchange": "no_such_exchange", "routing_key": "k"},
            },
            # The connection is still usable for the next call (a new channel).
            {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": "ext_after_404"}},
        ],
        EXT,
    )
    assert out[0]["error"] == "CeleryBridge\\Exception\\RoutingFailed", out
    assert "nobody" in out[0]["message"]
    assert out[1]["error"] == "CeleryBridge\\Exception\\RoutingFailed", out
    assert "no_such_exchange" in out[1]["message"]
    assert "id" in out[2], out
    assert len(_get_all(rabbitmq_server, "ext_after_404")) == 1


def test_a_declaration_mismatch_and_passive_mode_over_ext_amqp(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    queue = "ext_amqp_maxpri"
    conn = rabbitmq_server.connection()
    try:
        channel = conn.channel()
        # As a worker with task_queue_max_priority=10 declares it (x-max-priority I 10).
        channel.exchange_declare(queue, "direct", durable=True, auto_delete=False)
        channel.queue_declare(queue, durable=True, auto_delete=False, arguments={"x-max-priority": 10})
        channel.queue_bind(queue, queue, queue)
    finally:
        conn.close()
    task = {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": queue}}

    refused = _php(run_php, rabbitmq_server, redis_server, [task], EXT)
    # ext-amqp sends x-max-priority as l 10: RabbitMQ takes it as equal to the worker's I 10.
    matching = _php(run_php, rabbitmq_server, redis_server, [task], {"task_queue_max_priority": 10, **EXT})
    never = {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": "ext_never_declared"}}
    passive = _php(run_php, rabbitmq_server, redis_server, [task, never], {"amqp_declare": "passive", **EXT})

    assert refused[0]["error"] == "CeleryBridge\\Exception\\TopologyMismatch", refused
    assert '"x-max-priority"' in refused[0]["message"] and "PRECONDITION_FAILED" in refused[0]["message"]
    assert "id" in matching[0], matching
    assert "id" in passive[0], passive
    assert passive[1]["error"] == "CeleryBridge\\Exception\\RoutingFailed", passive
    assert len(_get_all(rabbitmq_server, queue)) == 2


def test_a_connection_cut_between_publish_and_confirm_over_ext_amqp_is_publish_outcome_unknown(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    queue = "ext_amqp_cut"
    proxy = AmqpCutProxy(rabbitmq_server.port)
    try:
        result = run_php.file(
            "amqp_send.php",
            env={
                "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}//",
                "CELERY_RESULT_BACKEND": redis_server.url(BACKEND_DB),
                "CB_CONFIG": json.dumps(EXT),
                "CB_CALLS": json.dumps(
                    [{"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": queue}}]
                ),
            },
        )
    finally:
        proxy.close()
    out = result.json()
    assert proxy.cuts == 1
    assert out["error"] == "CeleryBridge\\Exception\\PublishOutcomeUnknown", out
    assert len(out["uncertain"]) == 1 and out["uncertain"] == out["task_ids"]
    # RabbitMQ had it, and it was not sent twice.
    assert [m.headers["id"] for m in _get_all(rabbitmq_server, queue)] == out["uncertain"]


@pytest.mark.usefixtures("raw_headers")
def test_ext_amqp_differs_from_celery_only_by_integer_width_and_the_empty_stamps(
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    amqp_celery: Celery,
    run_php,
) -> None:
    queue = "ext_amqp_capture"
    options = {"countdown": 30, "expires": 600, "headers": {"x-custom": 7}, "time_limit": 30}
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
            }
        ],
        EXT,
    )
    got = {m.headers["id"]: m for m in _get_all(rabbitmq_server, queue)}
    python, ext = _header_types(got[py.id]._raw_header), _header_types(got[php["id"]]._raw_header)

    # The spec's allowed differences for ext-amqp, exactly: I -> l, and stamps F{} -> A[].
    assert ext == python.replace(":I", ":l").replace(",I", ",l").replace("[I", "[l").replace(
        "stamps:F{}", "stamps:A[]"
    )
    assert "retries:l" in ext and "timelimit:A[l," in ext and "stamps:A[]" in ext
    assert dict(
        got[php["id"]].properties, application_headers=None, correlation_id=None, reply_to=None
    ) == dict(got[py.id].properties, application_headers=None, correlation_id=None, reply_to=None)


def test_amqps_over_ext_amqp_verifies_the_broker_certificate(redis_server: RedisServer, run_php) -> None:
    # A node of its own with a TLS listener (certificate for DNS:localhost, signed by a test CA).
    directory = Path(tempfile.mkdtemp(prefix="cb-ext-amqp-tls-"))
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
            call = {"call": "task", "name": "tasks.add", "args": [1, 2], "options": {"queue": "ext_amqp_tls"}}
            ssl = {"ca_certs": str(tls.ca), "cert_reqs": "CERT_REQUIRED"}

            def send(broker: str, use_ssl: dict[str, Any]) -> dict[str, Any]:
                out = run_php.file(
                    "amqp_send.php",
                    env={
                        "CELERY_BROKER_URL": broker,
                        "CELERY_RESULT_BACKEND": redis_server.url(BACKEND_DB),
                        "CB_CONFIG": json.dumps(
                            {**EXT, "broker_use_ssl": use_ssl, "task_publish_retry": False}
                        ),
                        "CB_CALLS": json.dumps([call]),
                    },
                )
                return out.json()

            # The certificate names localhost: the URL says localhost.
            ok = send(f"amqps://guest:guest@localhost:{tls_port}//", ssl)
            # Another CA: refused, nothing sent; another name than the URL's: refused before connecting.
            wrong_ca = send(
                f"amqps://guest:guest@localhost:{tls_port}//", {**ssl, "ca_certs": str(tls.other_ca)}
            )
            other_name = send(
                f"amqps://guest:guest@127.0.0.1:{tls_port}//", {**ssl, "server_hostname": "localhost"}
            )

            assert "id" in ok, ok
            assert [m.headers["id"] for m in _get_all(node, "ext_amqp_tls")] == [ok["id"]]
            assert wrong_ca["error"] == "CeleryBridge\\Exception\\TlsFailed", wrong_ca
            assert other_name["error"] == "CeleryBridge\\Exception\\InvalidConfiguration", other_name
            assert "server_hostname" in other_name["message"]
        finally:
            node.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
