"""Issue 27, item 2: ext-amqp (php-amqp 1.11) as the second PHP AMQP library of CeleryClient
(amqp_client => 'ext-amqp'). What both libraries do alike (a worker runs what they send, the
silent-loss routes are exceptions, declarations, a cut before the confirm) is tested for both in
test_amqp_transport.py; here, what is ext-amqp's own: the one documented difference on the wire
(every int a 64-bit field (l), the empty `stamps` table an empty array, which the worker accepts)
and its TLS, which needs the CA file and checks the certificate against the URL's host."""

from __future__ import annotations

import json
from typing import Any

import pytest
from amqp_helpers import CLIENTS, get_all, header_types, named, send, task, tls_node
from celery import Celery

from harness import RedisServer
from rabbitmq import RabbitMQServer

EXT = {"amqp_client": "ext-amqp"}


@pytest.mark.parametrize("client", CLIENTS)
def test_the_header_types_each_library_writes(
    client: str, rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    queue = named("php_types", client)
    [sent] = send(
        run_php,
        rabbitmq_server,
        redis_server,
        [task(2, 3, queue=queue, retries=2)],
        {"amqp_client": client},
    )
    [message] = get_all(rabbitmq_server, queue, delete=True)

    headers = message.properties["application_headers"]
    assert headers["id"] == sent["id"] and headers["retries"] == 2
    # py-amqp decodes I and l alike; the empty stamps table F{} (php-amqplib, as Celery) comes
    # back as {}, ext-amqp's empty array A[] as [].
    assert headers["stamps"] == ({} if client == "php-amqplib" else [])
    assert message.properties["content_type"] == "application/json"
    assert message.properties["delivery_mode"] == 2
    assert json.loads(message.body)[0] == [2, 3]


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
    call: dict[str, Any] = {**task(2, 3, queue=queue, **options), "kwargs": {"k": "v"}}
    [php] = send(run_php, rabbitmq_server, redis_server, [call], EXT)
    got = {m.headers["id"]: m for m in get_all(rabbitmq_server, queue, delete=True)}
    python, ext = header_types(got[py.id]._raw_header), header_types(got[php["id"]]._raw_header)

    # The spec's allowed differences for ext-amqp, exactly: I -> l, and stamps F{} -> A[].
    assert ext == python.replace(":I", ":l").replace(",I", ",l").replace("[I", "[l").replace(
        "stamps:F{}", "stamps:A[]"
    )
    assert "retries:l" in ext and "timelimit:A[l," in ext and "stamps:A[]" in ext
    assert dict(
        got[php["id"]].properties, application_headers=None, correlation_id=None, reply_to=None
    ) == dict(got[py.id].properties, application_headers=None, correlation_id=None, reply_to=None)


def test_amqps_over_ext_amqp_verifies_the_broker_certificate(redis_server: RedisServer, run_php) -> None:
    with tls_node() as (node, tls_port, tls):
        ssl = {"ca_certs": str(tls.ca), "cert_reqs": "CERT_REQUIRED"}

        def send_over(broker: str, use_ssl: dict[str, Any]) -> dict[str, Any]:
            config = {**EXT, "broker_use_ssl": use_ssl, "task_publish_retry": False}
            [out] = send(run_php, node, redis_server, [task(queue="ext_amqp_tls")], config, broker=broker)
            return out

        localhost, address = f"amqps://guest:guest@localhost:{tls_port}//", f"amqps://guest:guest@127.0.0.1:{tls_port}//"
        # The certificate names localhost: the URL says localhost.
        ok = send_over(localhost, ssl)
        # Another CA: refused, nothing sent; another name than the URL's: refused before connecting.
        wrong_ca = send_over(localhost, {**ssl, "ca_certs": str(tls.other_ca)})
        other_name = send_over(address, {**ssl, "server_hostname": "localhost"})

        assert "id" in ok, ok
        assert [m.headers["id"] for m in get_all(node, "ext_amqp_tls")] == [ok["id"]]
        assert wrong_ca["error"] == "CeleryBridge\\Exception\\TlsFailed", wrong_ca
        assert other_name["error"] == "CeleryBridge\\Exception\\InvalidConfiguration", other_name
        assert "server_hostname" in other_name["message"]
