"""Issue 27: CeleryClient over RabbitMQ (Publish\\AmqpTransport). A real Celery worker with
broker_url amqp:// runs what PHP sends (sendTask, chain, group, chord with the Redis result
backend, sendMany) and the results are read back; each silent-loss route of AMQP becomes an
exception; the same call from Python's send_task and from PHP, captured from RabbitMQ, match
field by field with their AMQP types."""

from __future__ import annotations

import json
from typing import Any

import pytest
from amqp_helpers import (
    CLIENTS,
    capture_queue,
    get_all,
    header_types,
    named,
    send,
    task,
    tls_node,
)
from celery import Celery

from faults import AmqpCutProxy
from harness import Records, RedisServer, free_port
from rabbitmq import RabbitMQServer
from versions import WorkerVersions


@pytest.mark.parametrize("client", CLIENTS)
def test_a_worker_over_rabbitmq_runs_what_php_sends_and_the_results_are_read(
    client: str, rabbitmq_server: RabbitMQServer, redis_server: RedisServer, start_amqp_worker, run_php
) -> None:
    queue = named("php_amqp_e2e", client)
    start_amqp_worker([queue], config={"task_default_queue": queue})
    out = send(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            task(2, 3, get=30),
            task(4, 5, get=30, countdown=1, headers={"h": 1}, time_limit=30),
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
        config={"task_default_queue": queue, "amqp_client": client},
    )
    assert [o.get("result") for o in out[:5]] == [5, 9, 13, [2, 4], 6], out
    assert [r["result"] for r in out[5]["results"]] == [0, 2, 4, 6, 8]


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
    [php] = send(
        run_php,
        rabbitmq_server,
        redis_server,
        [{**task(2, 3, queue=queue, **options), "kwargs": {"k": "v"}}],
    )
    got = {m.headers["id"]: m for m in get_all(rabbitmq_server, queue)}
    assert set(got) == {py.id, php["id"]}
    p, q = got[py.id], got[php["id"]]
    # The same routing as Celery: the default exchange with the queue name.
    assert (q.delivery_info["exchange"], q.delivery_info["routing_key"]) == ("", queue)
    assert (p.delivery_info["exchange"], p.delivery_info["routing_key"]) == ("", queue)
    # Same header keys in the same order, same value types; same values where they are not ids/dates.
    assert list(q.headers) == list(p.headers)
    assert _shape(q.headers) == _shape(p.headers)
    # ... and the same AMQP field types, read from the raw content headers (I, not l; F{} stamps).
    assert header_types(q._raw_header) == header_types(p._raw_header)
    assert "retries:I" in header_types(q._raw_header) and "stamps:F{}" in header_types(q._raw_header)
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


@pytest.mark.parametrize("client", CLIENTS)
def test_an_unroutable_publish_and_a_missing_exchange_are_routing_failed(
    client: str,
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    run_php,
) -> None:
    after = named("amqp_after_404", client)
    out = send(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            # amq.direct exists on every node; nothing is bound with this key: without mandatory
            # and a confirm, RabbitMQ would drop the message and Celery would report success.
            task(exchange="amq.direct", routing_key="nobody"),
            # A missing exchange closes the channel.
            task(exchange="no_such_exchange", routing_key="k"),
            # The connection is still usable for the next call (a new channel).
            task(queue=after),
        ],
        config={"amqp_client": client},
    )
    assert out[0]["error"] == "CeleryBridge\\Exception\\RoutingFailed", out
    assert "could not route" in out[0]["message"] and "nobody" in out[0]["message"]
    assert out[1]["error"] == "CeleryBridge\\Exception\\RoutingFailed", out
    assert "no_such_exchange" in out[1]["message"]
    assert "id" in out[2], out
    assert len(get_all(rabbitmq_server, after, delete=True)) == 1


@pytest.mark.parametrize("client", CLIENTS)
def test_a_queue_declared_with_other_arguments_is_refused_before_anything_is_published(
    client: str,
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    run_php,
) -> None:
    queue = named("amqp_maxpri", client)
    conn = rabbitmq_server.connection()
    try:
        channel = conn.channel()
        # As a worker with task_queue_max_priority=10 declares it (x-max-priority I 10).
        channel.exchange_declare(queue, "direct", durable=True, auto_delete=False)
        channel.queue_declare(queue, durable=True, auto_delete=False, arguments={"x-max-priority": 10})
        channel.queue_bind(queue, queue, queue)
    finally:
        conn.close()
    library = {"amqp_client": client}
    # amqp_declare 'always' declares before the first publish, as Celery: refused.
    always = {"amqp_declare": "always", **library}
    out = send(run_php, rabbitmq_server, redis_server, [task(queue=queue), task(queue=queue)], always)
    assert out[0]["error"] == "CeleryBridge\\Exception\\TopologyMismatch", out
    assert f'queue "{queue}"' in out[0]["message"] and '"x-max-priority"' in out[0]["message"]
    assert "PRECONDITION_FAILED" in out[0]["message"]
    assert out[1]["error"] == "CeleryBridge\\Exception\\TopologyMismatch"
    # By default a batch declares first too; a lone task goes first, declares only when its
    # queue is missing, and so reaches the existing queue as RabbitMQ routes it.
    two = [["tasks.add", [1, 1]], ["tasks.add", [2, 2]]]
    batch = {"call": "many", "tasks": two, "options": {"queue": queue}}
    out = send(run_php, rabbitmq_server, redis_server, [batch], library)
    assert out[0]["error"] == "CeleryBridge\\Exception\\TopologyMismatch", out
    assert get_all(rabbitmq_server, queue) == []
    out = send(run_php, rabbitmq_server, redis_server, [task(queue=queue)], library)
    assert [m.headers["id"] for m in get_all(rabbitmq_server, queue)] == [out[0]["id"]]
    # With the workers' setting it is accepted (ext-amqp sends x-max-priority as l 10: RabbitMQ
    # takes it as equal to the worker's I 10), and passive mode only checks.
    matching = {"task_queue_max_priority": 10, **library}
    out = send(run_php, rabbitmq_server, redis_server, [task(queue=queue, priority=9)], matching)
    assert "id" in out[0], out
    never = named("amqp_never_declared", client)
    passive = {"amqp_declare": "passive", **library}
    out = send(run_php, rabbitmq_server, redis_server, [task(queue=queue), task(queue=never)], passive)
    assert "id" in out[0], out
    assert out[1]["error"] == "CeleryBridge\\Exception\\RoutingFailed" and never in out[1]["message"]
    assert [m.properties["priority"] for m in get_all(rabbitmq_server, queue, delete=True)] == [9, 0]


@pytest.mark.parametrize("client", CLIENTS)
def test_a_connection_cut_between_publish_and_confirm_is_publish_outcome_unknown(
    client: str,
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    run_php,
) -> None:
    queue = named("amqp_cut", client)
    # The queue exists (a lone publish to a missing one would come back before its confirm).
    send(run_php, rabbitmq_server, redis_server, [task(queue=queue)], config={"amqp_client": client})
    get_all(rabbitmq_server, queue)
    proxy = AmqpCutProxy(rabbitmq_server.port)
    try:
        [out] = send(
            run_php,
            rabbitmq_server,
            redis_server,
            [task(queue=queue)],
            config={"amqp_client": client},
            broker=rabbitmq_server.url(port=proxy.port),
        )
    finally:
        proxy.close()
    assert proxy.cuts == 1
    assert out["error"] == "CeleryBridge\\Exception\\PublishOutcomeUnknown", out
    assert len(out["uncertain"]) == 1 and out["uncertain"] == out["task_ids"]
    # "Unknown" was honest: RabbitMQ had it, and it was not sent twice.
    assert [m.headers["id"] for m in get_all(rabbitmq_server, queue)] == out["uncertain"]


def test_a_countdown_on_a_quorum_topic_queue_goes_through_native_delayed_delivery(
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    start_amqp_worker,
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
    start_amqp_worker([queue], config=config)
    out = send(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            task(1, name="tasks.record", countdown=3),
            task(priority=5),
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
    calls, failover = [task(queue="amqp_failover")], f"{dead};{rabbitmq_server.url()}"
    out = send(run_php, rabbitmq_server, redis_server, calls, broker=failover)
    assert "id" in out[0], out
    assert [m.headers["id"] for m in get_all(rabbitmq_server, "amqp_failover")] == [out[0]["id"]]
    # Without retries the first failure is the answer: not queued, the server named, no password.
    no_retry = {"task_publish_retry": False}
    out = send(run_php, rabbitmq_server, redis_server, calls, config=no_retry, broker=failover)
    assert out[0]["error"] == "CeleryBridge\\Exception\\ConnectionRefused", out
    assert out[0]["uncertain"] == [] and len(out[0]["task_ids"]) == 1
    assert "RabbitMQ at 127.0.0.1:" in out[0]["message"] and "s3cr3t" not in out[0]["message"]
    assert get_all(rabbitmq_server, "amqp_failover") == []


def test_a_wrong_password_is_authentication_failed_at_once_and_never_shown(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    out = send(
        run_php,
        rabbitmq_server,
        redis_server,
        [task()],
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
    assert [m.headers["id"] for m in get_all(rabbitmq_server, "amqp_injected")] == [sent["id"]]


def test_task_queues_from_the_celeryconfig_route_as_on_the_workers(
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    start_amqp_worker,
    run_php,
) -> None:
    # A topic queue defined in task_queues, as a celeryconfig dict (Celery's Queues reads it too).
    config = {
        "task_queues": {
            "amqp_media": {"exchange": "media", "exchange_type": "topic", "routing_key": "media.#"},
        },
        "task_default_queue": "amqp_media",
    }
    start_amqp_worker(["amqp_media"], config=config)
    out = send(
        run_php,
        rabbitmq_server,
        redis_server,
        [task(20, 22, queue="amqp_media", get=30)],
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
                "CELERY_BROKER_URL": rabbitmq_server.url(port=proxy.port),
                "CB_FLAG": str(flag),
                "CB_QUEUE": "amqp_two_sends",
            },
        )
    finally:
        proxy.close()
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert proxy.cuts == 1 and flag.exists()
    assert all("id" in o for o in out), out
    assert [m.headers["id"] for m in get_all(rabbitmq_server, "amqp_two_sends")] == [o["id"] for o in out]


def test_priorities_reach_an_x_max_priority_queue_highest_first_and_big_bodies_are_framed(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    queue = "amqp_priorities"
    big = 300_000  # bytes: more than one body frame (frame_max 131072)
    out = send(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            task(0, 0, queue=queue, priority=0),
            task(9, 9, queue=queue, priority=9),
            task(5, 5, queue=queue, priority=5),
            {"call": "task", "name": "tasks.echo", "big": big, "options": {"queue": queue, "priority": 1}},
        ],
        config={"task_queue_max_priority": 10},
    )
    assert all("id" in o for o in out), out
    got = get_all(rabbitmq_server, queue)
    # AMQP priorities: 9 is the highest (the inverse of kombu's Redis priority steps).
    assert [m.properties["priority"] for m in got] == [9, 5, 1, 0]
    assert json.loads(got[2].body)[0] == ["x" * big]


def test_the_task_sent_event_goes_to_the_celeryev_topic_exchange(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    # What a Python EventReceiver binds: the topic exchange Celery declares for events.
    capture_queue(rabbitmq_server, "amqp_events_capture", "celeryev", "topic", "task.#", durable=True)
    [out] = send(
        run_php,
        rabbitmq_server,
        redis_server,
        [task(queue="amqp_events_q")],
        config={"task_send_sent_event": True},
    )
    [event] = get_all(rabbitmq_server, "amqp_events_capture")
    body = json.loads(event.body)
    assert (body["type"], body["uuid"], body["queue"]) == ("task-sent", out["id"], "amqp_events_q")
    assert event.delivery_info["routing_key"] == "task.sent"
    assert event.properties["delivery_mode"] == 1
    assert event.headers == {"hostname": body["hostname"]}
    assert len(get_all(rabbitmq_server, "amqp_events_q")) == 1


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
    get_all(rabbitmq_server, "amqp_secrets")


def test_send_many_cut_in_its_second_batch_reports_the_first_as_queued(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    queue = "amqp_many_cut"
    proxy = AmqpCutProxy(rabbitmq_server.port, after=200)  # the first chunk is 200 messages
    try:
        [out] = send(
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
            broker=rabbitmq_server.url(port=proxy.port),
        )
    finally:
        proxy.close()
    assert out["error"] == "CeleryBridge\\Exception\\PublishOutcomeUnknown", out
    assert len(out["queued"]) == 200 and len(out["uncertain"]) == 50 and out["task_ids"] == out["uncertain"]
    got = [m.headers["id"] for m in get_all(rabbitmq_server, queue)]
    # Every task reported queued is there once; anything else there was reported uncertain.
    assert len(got) == len(set(got))
    assert set(out["queued"]) <= set(got) <= set(out["queued"]) | set(out["uncertain"])


def test_amqps_really_speaks_tls(rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php) -> None:
    # The node's port speaks plain AMQP: a TLS client must fail the handshake, not fall back.
    [out] = send(
        run_php,
        rabbitmq_server,
        redis_server,
        [task(queue="amqp_tls")],
        broker=f"amqps://guest:guest@127.0.0.1:{rabbitmq_server.port}//",
        config={"task_publish_retry": False},
    )
    assert out["error"] == "CeleryBridge\\Exception\\TlsFailed", out
    assert "amqps" in out["message"]


def test_amqps_with_broker_use_ssl_verifies_the_broker_certificate(
    redis_server: RedisServer, run_php
) -> None:
    with tls_node() as (node, tls_port, tls):
        call = [task(queue="amqp_tls_ok")]
        broker = f"amqps://guest:guest@127.0.0.1:{tls_port}//"
        ssl = {"ca_certs": str(tls.ca), "cert_reqs": "CERT_REQUIRED", "server_hostname": "localhost"}
        [ok] = send(run_php, node, redis_server, call, broker=broker, config={"broker_use_ssl": ssl})
        assert "id" in ok, ok
        assert [m.headers["id"] for m in get_all(node, "amqp_tls_ok")] == [ok["id"]]
        # Another CA: the broker's certificate is refused, nothing is sent.
        wrong = {**ssl, "ca_certs": str(tls.other_ca)}
        [refused] = send(
            run_php,
            node,
            redis_server,
            call,
            broker=broker,
            config={"broker_use_ssl": wrong, "task_publish_retry": False},
        )
        assert refused["error"] == "CeleryBridge\\Exception\\TlsFailed", refused


def test_url_forms_pyamqp_vhost_percent_2f_and_heartbeat_connect(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    port = rabbitmq_server.port
    for url in (
        f"pyamqp://guest:guest@127.0.0.1:{port}/%2F?heartbeat=10&connect_timeout=5",
        f"librabbitmq://guest:guest@127.0.0.1:{port}",
    ):
        [out] = send(
            run_php,
            rabbitmq_server,
            redis_server,
            [task(queue="amqp_url_forms")],
            broker=url,
        )
        assert "id" in out, (url, out)
    assert len(get_all(rabbitmq_server, "amqp_url_forms")) == 2
