"""Issue 27: remote control and queue inspection over RabbitMQ survive a lost connection.

A long-running PHP process keeps the channel control and queue tools use; when RabbitMQ closes
its connection (a node restart, `rabbitmqctl close_all_connections`) the next call connects
again through the broker URL, as a Redis client reconnects, instead of failing on the dead
connection for the rest of the process's life.
"""

from __future__ import annotations

import socket
import threading

import amqp
import pytest
from amqp_helpers import CLIENTS, named

from rabbitmq import RabbitMQServer


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

    listener = socket.create_server(("127.0.0.1", 0))
    closed: list[str] = []

    def close_on_request() -> None:
        # The PHP script connects here once its first round is done: every connection of the
        # node is closed by RabbitMQ itself (connection.close 320), then the script goes on.
        request, _ = listener.accept()
        with request:
            closed.append(rabbitmq_server.ctl("close_all_connections", "test"))
            request.sendall(b"closed\n")

    thread = threading.Thread(target=close_on_request, daemon=True)
    thread.start()
    try:
        out = run_php.file(
            "amqp_reconnect.php",
            env={
                "CELERY_BROKER_URL": rabbitmq_server.url(),
                "CB_AMQP_CLIENT": client,
                "CB_CONTROL_PORT": str(listener.getsockname()[1]),
            },
            args=[queue],
            timeout=180.0,
        ).json()
    finally:
        listener.close()
        thread.join(timeout=5)
    assert len(closed) == 1
    # No worker runs: the ping has no answer, but it is sent and its replies read.
    assert out == [[2, {}], [2, {}]], out
