"""A publishing connection RabbitMQ closed while the client sat idle is replaced before the
next publish, with both PHP AMQP libraries.

RabbitMQ closes a connection with connection.close (CONNECTION_FORCED 320) when its node shuts
down or an operator runs `rabbitmqctl close_connection` / `close_all_connections`, then closes
the socket. A publish written there never reaches a queue, and its confirm never comes: without
a check before the write it is PublishOutcomeUnknown although it never left. php-amqplib looks at
its socket (the close frame waiting there counts, not only an end of file); ext-amqp gives no
socket, so a wait for confirms with none pending reads it (Connection/Amqp/IdleConnection).
"""

from __future__ import annotations

import json
import socket
import threading

import pytest
from amqp_helpers import CLIENTS, get_all, named, send, task

from harness import RedisServer
from rabbitmq import RabbitMQServer


def _connections(rabbitmq_server: RabbitMQServer) -> set[str]:
    """The Erlang pids of the node's client connections (what close_connection takes)."""
    return set(rabbitmq_server.ctl("list_connections", "pid", "--silent").split())


@pytest.mark.parametrize("client", CLIENTS)
def test_a_connection_rabbitmq_closed_while_the_client_was_idle_is_replaced_before_the_next_publish(
    client: str, rabbitmq_server: RabbitMQServer, run_php
) -> None:
    queue = named("amqp_idle_close", client)
    listener = socket.create_server(("127.0.0.1", 0))
    closed: list[str] = []
    # Other tests of the session may hold connections to this node: only the script's is closed.
    before = _connections(rabbitmq_server)

    def close_on_request() -> None:
        # The script connects here between its two sends and goes on when told "closed".
        request, _ = listener.accept()
        with request:
            for pid in _connections(rabbitmq_server) - before:
                closed.append(rabbitmq_server.ctl("close_connection", pid, "test"))
            request.sendall(b"closed\n")

    thread = threading.Thread(target=close_on_request, daemon=True)
    thread.start()
    try:
        out = run_php.file(
            "amqp_idle_close.php",
            env={
                "CELERY_BROKER_URL": rabbitmq_server.url(),
                "CB_CONTROL_PORT": str(listener.getsockname()[1]),
                # No publish retry: the second send must not need one.
                "CB_CONFIG": json.dumps(
                    {"task_default_queue": queue, "task_publish_retry": False, "amqp_client": client}
                ),
            },
        ).json()
    finally:
        listener.close()
        thread.join(timeout=10)
    assert len(closed) == 1, closed
    # Not PublishOutcomeUnknown: the second message went to a new connection.
    assert [sorted(send) for send in out] == [["id"], ["id"]], json.dumps(out)
    ids = [message.headers["id"] for message in get_all(rabbitmq_server, queue, delete_exchange=True)]
    assert ids == [send["id"] for send in out]


def test_without_confirms_a_returned_message_the_idle_check_reads_is_dropped_quietly(
    rabbitmq_server: RabbitMQServer, redis_server: RedisServer, run_php
) -> None:
    """ext-amqp with confirm_publish off: nothing waits for RabbitMQ's basic.return of an
    unroutable message, so the idle check before the next publish is the one to read it. It
    is dropped, as kombu without on_return drops it, and the next task goes out (without a
    return callback ext-amqp would print an E_NOTICE, which fails the PHP run)."""
    queue = "amqp_idle_return"
    out = send(
        run_php,
        rabbitmq_server,
        redis_server,
        [
            # amq.direct exists on every node; nothing is bound with this key: returned.
            task(exchange="amq.direct", routing_key="nobody"),
            # Idle past IdleConnection::CHECK_AFTER (50 ms): the next publish checks first.
            {"call": "idle", "seconds": 0.2},
            task(queue=queue),
        ],
        config={"amqp_client": "ext-amqp", "broker_transport_options": {"confirm_publish": False}},
    )
    assert "id" in out[0] and "id" in out[2], out
    assert [m.headers["id"] for m in get_all(rabbitmq_server, queue, delete_exchange=True)] == [out[2]["id"]]
