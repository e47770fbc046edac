"""A recording TCP proxy for AMQP 0-9-1: forwards bytes unchanged and notes every method frame.

Between a client and RabbitMQ on loopback. Each accepted client gets its own upstream connection;
both directions are split into frames (type octet, channel short, size long, payload, 0xCE) and
every method frame (type 1) is recorded as (connection number, "c" or "s" for the sender, channel,
"class.method"). Content header/body frames and heartbeats are forwarded, not recorded. The
protocol header the client sends first ("AMQP\\0\\0\\x09\\x01") is forwarded and skipped.

bench/amqp_bench.py uses it to count what one request makes: connections, channels, methods, and
round trips (each method the server sends answers one the client waited on: start answers the
protocol header, tune answers start-ok, open-ok open, basic.ack a confirmed publish, ...);
tests/over_amqp/test_amqp_nack.py to count channels; test_amqp_idle_failover.py's DyingNode is one
that also drops every connection it carries when told to.
"""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass

_NAMES = {
    10: ("connection", {10: "start", 11: "start-ok", 20: "secure", 21: "secure-ok", 30: "tune",
                        31: "tune-ok", 40: "open", 41: "open-ok", 50: "close", 51: "close-ok", 60: "blocked",
                        61: "unblocked"}),
    20: ("channel", {10: "open", 11: "open-ok", 20: "flow", 21: "flow-ok", 40: "close", 41: "close-ok"}),
    40: ("exchange", {10: "declare", 11: "declare-ok", 20: "delete", 21: "delete-ok", 30: "bind",
                      31: "bind-ok"}),
    50: ("queue", {10: "declare", 11: "declare-ok", 20: "bind", 21: "bind-ok", 30: "purge", 31: "purge-ok",
                   40: "delete", 41: "delete-ok", 50: "unbind", 51: "unbind-ok"}),
    60: ("basic", {10: "qos", 11: "qos-ok", 20: "consume", 21: "consume-ok", 30: "cancel", 31: "cancel-ok",
                   40: "publish", 50: "return", 60: "deliver", 70: "get", 71: "get-ok", 72: "get-empty",
                   80: "ack", 90: "reject", 120: "nack"}),
    85: ("confirm", {10: "select", 11: "select-ok"}),
    90: ("tx", {10: "select", 11: "select-ok", 20: "commit", 21: "commit-ok"}),
}
METHODS = {
    (class_id, method_id): f"{class_name}.{name}"
    for class_id, (class_name, names) in _NAMES.items()
    for method_id, name in names.items()
}
PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"


@dataclass(frozen=True)
class Method:
    connection: int
    sender: str  # "c" client, "s" server
    channel: int
    name: str


class AmqpProxy:
    """Listens on 127.0.0.1:<port>, forwards to upstream_port; `methods` in the order seen."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.methods: list[Method] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._pumps_done = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()
        for sock in self._open:
            sock.close()

    def all_closed(self) -> bool:
        """Every proxied connection has ended in both directions."""
        with self._lock:
            return self._pumps_done == 2 * self.connections

    def clear(self) -> None:
        with self._lock:
            self.methods.clear()

    def snapshot(self) -> list[Method]:
        with self._lock:
            return list(self.methods)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self._lock:
                self.connections += 1
                number = self.connections
            self._open += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, number, "c"), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, number, "s"), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, number: int, sender: str) -> None:
        pending = b""
        header_left = len(PROTOCOL_HEADER) if sender == "c" else 0
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                # One side closed: close the other, as the connection would have ended for it.
                for sock in (target, source):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                with self._lock:
                    self._pumps_done += 1
                return
            # Recorded before it is forwarded: whoever receives a frame finds it recorded.
            pending += data
            if header_left:
                skipped = min(header_left, len(pending))
                pending, header_left = pending[skipped:], header_left - skipped
            pending = self._record(pending, number, sender)
            try:
                target.sendall(data)
            except OSError:
                return

    def _record(self, pending: bytes, number: int, sender: str) -> bytes:
        while len(pending) >= 7:
            kind, channel, size = struct.unpack(">BHI", pending[:7])
            if len(pending) < 8 + size:
                break
            if kind == 1:
                class_id, method_id = struct.unpack(">HH", pending[7:11])
                name = METHODS.get((class_id, method_id), f"{class_id}.{method_id}")
                with self._lock:
                    self.methods.append(Method(number, sender, channel, name))
            pending = pending[8 + size:]
        return pending
