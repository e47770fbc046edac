"""Failover over AMQP: a connection RabbitMQ closed while the client was idle is not written to.

When a node dies or shuts down, every connection to it ends; a client that learns it only from a
publish's missing confirm must report that publish as PublishOutcomeUnknown, though the message
never left the machine. The client looks first (one poll of the socket), and goes on with the
next URL of the failover list. The 3-node version of this, with a quorum queue and a node
SIGKILLed under load, is `make cluster-test` (tests/cluster_failover.py).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading

from rabbitmq import RabbitMQServer


class ClosingProxy:
    """Forwards TCP to RabbitMQ; a connection to `control_port` makes it close both sides of
    every connection it carries, then answer "closed"."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._control = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.control_port = self._control.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self.closed = 0
        for target in (self._accept, self._close_on_request):
            threading.Thread(target=target, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)

    def _close_on_request(self) -> None:
        with contextlib.suppress(OSError):
            request, _ = self._control.accept()
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                self.closed += 1
            request.sendall(b"closed\n")
            request.close()

    def close(self) -> None:
        for sock in (*self._sockets, self._listener, self._control):
            sock.close()


def test_a_connection_closed_while_idle_is_left_for_the_next_url_not_published_on(
    rabbitmq_server: RabbitMQServer, run_php
) -> None:
    queue = "amqp_idle_close"
    proxy = ClosingProxy(rabbitmq_server.port or 0)
    try:
        out = run_php.file(
            "amqp_idle_close.php",
            env={
                "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}//;{rabbitmq_server.url()}",
                "CB_CONTROL_PORT": str(proxy.control_port),
                "CB_QUEUE": queue,
            },
        ).json()
    finally:
        proxy.close()
    assert proxy.closed == 2
    # Not PublishOutcomeUnknown: nothing had been written to the closed connection.
    assert [sorted(send) for send in out] == [["id"], ["id"]], json.dumps(out)
    conn = rabbitmq_server.connection()
    try:
        channel = conn.channel()
        ids = []
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            ids.append(message.headers["id"])
        channel.queue_delete(queue)
        channel.exchange_delete(queue)
    finally:
        conn.close()
    assert ids == [send["id"] for send in out]
