"""What the AMQP tests share: PHP's amqp_send.php and amqp_tools.php runs, the messages RabbitMQ
holds in a queue (taken, or counted), the AMQP type signature of a received header table, and a
RabbitMQ node of its own with a TLS listener."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import amqp
from celery import Celery

from harness import RedisServer, free_port
from rabbitmq import RabbitMQServer
from servers import TlsFiles, make_tls_files

BACKEND_DB = 1
# The two PHP AMQP libraries CeleryClient can use (amqp_client).
CLIENTS = ["php-amqplib", "ext-amqp"]


def named(prefix: str, client: str) -> str:
    """A queue name of its own for a test run with `client`."""
    return f"{prefix}_{client.replace('-', '_')}"


def task(*args: Any, name: str = "tasks.add", get: float | None = None, **options: Any) -> dict[str, Any]:
    """One amqp_send.php call: send task `name` with these args (1, 2 by default) and apply_async
    options; with `get`, wait that many seconds for its result."""
    call: dict[str, Any] = {"call": "task", "name": name, "args": list(args or (1, 2))}
    if options:
        call["options"] = options
    if get is not None:
        call["get"] = get
    return call


def send(
    run_php,
    rabbitmq_server: RabbitMQServer,
    redis_server: RedisServer,
    calls: list[dict[str, Any]],
    config: dict[str, Any] | None = None,
    broker: str | None = None,
    timeout: float = 60.0,
) -> list[dict[str, Any]]:
    """Runs amqp_send.php: each call's outcome (its id, result or error), one dict per call."""
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


def tools(run_php, rabbitmq_server: RabbitMQServer, client: str, *args: str) -> Any:
    """Runs amqp_tools.php (control, queue tools, events) with the given library."""
    return run_php.file(
        "amqp_tools.php",
        env={"CB_AMQP_URL": rabbitmq_server.url(), "CB_AMQP_CLIENT": client},
        args=list(args),
    ).json()


def get_all(
    rabbitmq_server: RabbitMQServer, queue: str, delete: bool = False, delete_exchange: bool = False
) -> list[amqp.Message]:
    """Takes every message waiting in `queue` (and deletes the queue when asked, and with
    delete_exchange the exchange of the same name that Celery declares for a task queue)."""
    conn = rabbitmq_server.connection()
    try:
        channel = conn.channel()
        messages = []
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            messages.append(message)
        if delete or delete_exchange:
            channel.queue_delete(queue)
        if delete_exchange:
            channel.exchange_delete(queue)
        return messages
    finally:
        conn.close()


def waiting(rabbitmq_server: RabbitMQServer, queue: str, delete: bool = False) -> int:
    """How many messages RabbitMQ holds in `queue` (a passive declare: nothing consumed; a queue
    that does not exist closes the channel with 404), the queue deleted afterwards when asked."""
    conn = rabbitmq_server.connection()
    try:
        channel = conn.channel()
        count = channel.queue_declare(queue, passive=True).message_count
        if delete:
            channel.queue_delete(queue)
        return count
    finally:
        conn.close()


def capture_queue(
    rabbitmq_server: RabbitMQServer,
    queue: str,
    exchange: str,
    exchange_type: str,
    routing_key: str,
    durable: bool,
) -> None:
    """Declares `exchange` as its publishers do (type, durable) and a queue bound to it with
    `routing_key`, which keeps what is published there for get_all()."""
    conn = rabbitmq_server.connection()
    try:
        channel = conn.channel()
        channel.exchange_declare(exchange, exchange_type, durable=durable, auto_delete=False)
        channel.queue_declare(queue, durable=False, auto_delete=False)
        channel.queue_bind(queue, exchange, routing_key)
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


def header_types(raw: bytes) -> str:
    """The header table's keys and AMQP types, in order, from a raw content header (as py-amqp
    received it: class, weight, body size, flags, then content_type, content_encoding, headers)."""
    at = 14
    for _ in range(2):  # content_type, content_encoding (shortstr)
        at += 1 + raw[at]
    return _value_type(b"F" + raw[at:], 0)[0]


@contextlib.contextmanager
def task_sent_receiver(app: Celery) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    """Celery's own EventReceiver for task-sent events, its queue bound before PHP publishes
    (the event waits there; not exclusive: capture() consumes it on a connection of its own; a
    TTL longer than event_queue_ttl's 5 s, which a loaded machine can spend in the PHP run).
    Yields the receiver and the list its handler fills; receiver.capture() stops at the first."""
    received: list[dict[str, Any]] = []

    def on_task_sent(event: dict[str, Any]) -> None:
        received.append(event)
        receiver.should_stop = True

    with app.connection_for_read() as conn:
        receiver = app.events.Receiver(
            conn,
            handlers={"task-sent": on_task_sent},
            routing_key="task.sent",
            queue_exclusive=False,
            queue_ttl=300.0,
        )
        receiver.queue(conn.default_channel).declare()
        yield receiver, received


class TlsNode(NamedTuple):
    node: RabbitMQServer
    port: int
    tls: TlsFiles


@contextlib.contextmanager
def tls_node() -> Iterator[TlsNode]:
    """A RabbitMQ node of its own with a TLS listener (certificate for DNS:localhost, signed by a
    test CA; another CA in tls.other_ca), stopped and its files removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="cb-amqp-tls-"))
    try:
        tls = make_tls_files(directory)
        directory.chmod(0o755)
        for path in directory.iterdir():
            path.chmod(0o644)
        port = free_port()
        node = RabbitMQServer(
            config=[
                f"listeners.ssl.default = 127.0.0.1:{port}",
                f"ssl_options.cacertfile = {tls.ca}",
                f"ssl_options.certfile = {tls.server_cert}",
                f"ssl_options.keyfile = {tls.server_key}",
                "ssl_options.verify = verify_none",
                "ssl_options.fail_if_no_peer_cert = false",
            ]
        )
        node.start()
        try:
            yield TlsNode(node, port, tls)
        finally:
            node.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
