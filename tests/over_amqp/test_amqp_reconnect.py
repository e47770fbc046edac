"""Issue 27: remote control and queue inspection over RabbitMQ survive a lost connection.

A long-running PHP process keeps the channel control and queue tools use; when RabbitMQ closes
its connection (a node restart, `rabbitmqctl close_all_connections`) the next call connects
again through the broker URL, as a Redis client reconnects, instead of failing on the dead
connection for the rest of the process's life.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import amqp
import pytest
from amqp_helpers import CLIENTS, named

from rabbitmq import RabbitMQServer


def _run_closing_all_connections(
    run_php,
    rabbitmq_server: RabbitMQServer,
    client: str,
    script: str,
    args: Sequence[str] = (),
    then: Callable[[threading.Event], None] | None = None,
) -> tuple[Any, list[str]]:
    """Runs `script` with the library `client`. When it connects to CB_CONTROL_PORT, every
    connection of the node is closed by RabbitMQ itself (connection.close 320), the script is
    told "closed" and goes on, and `then(done)` runs until the script has ended (done is set).
    Its JSON output, and what rabbitmqctl said for each close."""
    listener = socket.create_server(("127.0.0.1", 0))
    closed: list[str] = []
    done = threading.Event()

    def close_on_request() -> None:
        request, _ = listener.accept()
        with request:
            closed.append(rabbitmq_server.ctl("close_all_connections", "test"))
            request.sendall(b"closed\n")
        if then is not None:
            then(done)

    thread = threading.Thread(target=close_on_request, daemon=True)
    thread.start()
    try:
        out = run_php.file(
            script,
            env={
                "CELERY_BROKER_URL": rabbitmq_server.url(),
                "CB_AMQP_CLIENT": client,
                "CB_CONTROL_PORT": str(listener.getsockname()[1]),
            },
            args=list(args),
            timeout=180.0,
        ).json()
    finally:
        done.set()
        listener.close()
        thread.join(timeout=10)
    return out, closed


@pytest.mark.parametrize("client", CLIENTS)
def test_queue_length_and_ping_work_again_after_rabbitmq_closed_the_connection(
    client: str, rabbitmq_server: RabbitMQServer, run_php
) -> None:
    queue = named("amqp_reconnect", client)
    with amqp.Connection(f"127.0.0.1:{rabbitmq_server.port}") as conn:
        channel = conn.channel()
        channel.queue_declare(queue, durable=True, auto_delete=False)
        channel.queue_purge(queue)
        for body in ("a", "b"):
            channel.basic_publish(amqp.Message(body), exchange="", routing_key=queue)

    out, closed = _run_closing_all_connections(
        run_php, rabbitmq_server, client, "amqp_reconnect.php", [queue]
    )
    assert len(closed) == 1
    # No worker runs: the ping has no answer, but it is sent and its replies read.
    assert out == [[2, {}], [2, {}]], out


@pytest.mark.parametrize("client", CLIENTS)
def test_an_event_stream_reads_on_after_rabbitmq_closed_its_connection(
    client: str, rabbitmq_server: RabbitMQServer, run_php
) -> None:
    def publish_heartbeats(done: threading.Event) -> None:
        # The stream declares a new queue of its own on a new connection, when its next wait
        # finds the old one closed: heartbeats are published until the script has read one,
        # as a worker sends them every few seconds.
        with amqp.Connection(f"127.0.0.1:{rabbitmq_server.port}") as conn:
            channel = conn.channel()
            channel.exchange_declare("celeryev", "topic", durable=True, auto_delete=False)
            event = {"type": "worker-heartbeat", "hostname": "beat@test", "timestamp": time.time()}
            while not done.wait(0.2):
                message = amqp.Message(
                    json.dumps(event), content_type="application/json", content_encoding="utf-8"
                )
                channel.basic_publish(message, exchange="celeryev", routing_key="worker.heartbeat")

    out, _ = _run_closing_all_connections(
        run_php, rabbitmq_server, client, "amqp_events_reconnect.php", then=publish_heartbeats
    )
    assert out == ["worker-heartbeat", "beat@test"], out
