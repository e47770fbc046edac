"""Failover over AMQP when the node a client uses goes away while the client is idle.

The client finds the closed connection before it writes (php-amqplib: a peek at the socket;
ext-amqp, which gives no socket: a wait for confirms with none pending) and goes on
with the next URL of the failover list at once, as kombu does with a lost connection: even
without publish retries (task_publish_retry = False) the task is queued on the next node, not
refused by a reconnect to the dead one. The 3-node version, with a quorum queue and a node
SIGKILLed under load, is `make cluster-test` (tests/cluster_failover.py).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading

import pytest
from amqp_helpers import CLIENTS, get_all, named

from amqp_proxy import AmqpProxy
from rabbitmq import RabbitMQServer


class DyingNode(AmqpProxy):
    """The recording proxy standing for a RabbitMQ node: forwards to the real one until a
    connection to `control_port` arrives; then it stops listening, closes both sides of every
    connection it carries, and answers "closed"."""

    def __init__(self, upstream_port: int) -> None:
        self._control = socket.create_server(("127.0.0.1", 0))
        self.control_port = self._control.getsockname()[1]
        super().__init__(upstream_port)
        threading.Thread(target=self._die_on_request, daemon=True).start()

    def _die_on_request(self) -> None:
        with contextlib.suppress(OSError):
            request, _ = self._control.accept()
            # shutdown() ends the accept() blocked in the other thread (close() alone would not,
            # and the port would go on taking connections).
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            request.sendall(b"closed\n")
            request.close()

    def close(self) -> None:
        super().close()
        self._control.close()


@pytest.mark.parametrize("client", CLIENTS)
def test_a_node_gone_while_the_client_was_idle_is_left_for_the_next_url_even_without_retries(
    client: str, rabbitmq_server: RabbitMQServer, run_php
) -> None:
    queue = named("amqp_idle_failover", client)
    node = DyingNode(rabbitmq_server.port or 0)
    try:
        out = run_php.file(
            "amqp_idle_close.php",
            env={
                "CELERY_BROKER_URL": f"{rabbitmq_server.url(port=node.port)};{rabbitmq_server.url()}",
                "CB_CONTROL_PORT": str(node.control_port),
                "CB_CONFIG": json.dumps(
                    {"task_default_queue": queue, "task_publish_retry": False, "amqp_client": client}
                ),
            },
        ).json()
    finally:
        node.close()
    assert node.connections == 1
    # Neither PublishOutcomeUnknown (nothing was written to the closed connection) nor
    # ConnectionRefused (the dead node was not tried again before the next one).
    assert [sorted(send) for send in out] == [["id"], ["id"]], json.dumps(out)
    ids = [message.headers["id"] for message in get_all(rabbitmq_server, queue, delete_exchange=True)]
    assert ids == [send["id"] for send in out]
