"""Misbehaving TCP servers for the connection tests: one that never answers, one whose backlog is
full, a port that hangs up, and a proxy that cuts or stalls a connection on demand.

Plain classes with no pytest dependency. Waits poll for an event under a deadline, as in
harness.py.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time

from harness import HarnessError


class SilentServer:
    """Accepts TCP connections and never sends a byte: every read waits for the timeout."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self._listener.getsockname()[1]
        self._accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> SilentServer:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.05)
            if ready:
                conn, _ = self._listener.accept()
                self._accepted.append(conn)

    @property
    def accepted(self) -> int:
        return len(self._accepted)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for conn in self._accepted:
            conn.close()
        self._listener.close()


class FullBacklogServer:
    """A listening socket that never accepts, with its accept queue filled: the kernel drops
    further SYNs, so a connect() waits until its own timeout (a blackholed host, locally)."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self.port = self._listener.getsockname()[1]
        self._fillers: list[socket.socket] = []

    def start(self, timeout: float = 5.0) -> FullBacklogServer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.settimeout(0.2)
            try:
                probe.connect(("127.0.0.1", self.port))
            except (TimeoutError, OSError):
                probe.close()
                return self
            self._fillers.append(probe)
        raise HarnessError("could not fill the accept queue")

    def stop(self) -> None:
        for filler in self._fillers:
            filler.close()
        self._listener.close()


class HangUpPort:
    """Listens on a given port and closes every connection at once, counting them: stands in
    for a Redis that went away while we watch the client's retries arrive."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(16)
        self._count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.05)
            if ready:
                conn, _ = self._listener.accept()
                conn.close()
                self._count += 1

    @property
    def connections(self) -> int:
        return self._count

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._listener.close()


class _Proxy:
    """A TCP proxy on a free loopback port in front of `upstream_port`: each accepted client gets
    its own upstream connection and a thread running `_pump(client, upstream)`, which relays
    what each side sends through the subclass's _from_client() and _from_upstream() (its
    fault); close() stops every thread and closes every socket."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=16)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.05)
            if not ready:
                continue
            client, _ = self._listener.accept()
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._sockets += [client, upstream]
            thread = threading.Thread(target=self._pump, args=(client, upstream), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        """Relays both ways until a side closes, the proxy stops, or a hook of the subclass
        returns False (its fault happened); then _done()."""
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([client, upstream], [], [], 0.05)
                if client in ready:
                    data = client.recv(65536)
                    if not data or not self._from_client(data, client, upstream):
                        return
                if upstream in ready:
                    data = upstream.recv(65536)
                    if not data or not self._from_upstream(data, client):
                        return
        except OSError:
            return
        finally:
            self._done(client, upstream)

    def _from_client(self, data: bytes, client: socket.socket, upstream: socket.socket) -> bool:
        raise NotImplementedError

    def _from_upstream(self, data: bytes, client: socket.socket) -> bool:
        raise NotImplementedError

    def _done(self, client: socket.socket, upstream: socket.socket) -> None:
        client.close()
        upstream.close()

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2)
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self._listener.close()


class FaultProxy(_Proxy):
    """A TCP proxy in front of Redis that breaks the first LPUSH it sees, in one of three ways:

    - "drop_request": close the client's connection without forwarding the LPUSH
    - "drop_reply":   forward the LPUSH to Redis, then close without relaying the reply
    - "stall_reply":  forward the LPUSH and never relay the reply (the client times out)

    After that it forwards everything. `lpushes` counts every LPUSH that reached Redis. With
    `after`, the fault waits until that many LPUSHes went through (a later MULTI/EXEC chunk).
    """

    MODES = ("drop_request", "drop_reply", "stall_reply")
    _LPUSH = b"$5\r\nlpush\r\n"

    def __init__(self, upstream_port: int, mode: str, after: int = 0) -> None:
        if mode not in self.MODES:
            raise ValueError(mode)
        self.mode = mode
        self.after = after
        self._armed = True
        self.lpushes = 0
        self.faults = 0
        self._lock = threading.Lock()
        # Clients whose reply is held back: their sockets stay open until close().
        self._stalled: set[socket.socket] = set()
        super().__init__(upstream_port)

    def _from_client(self, data: bytes, client: socket.socket, upstream: socket.socket) -> bool:
        lpushes = data.lower().count(self._LPUSH)
        with self._lock:
            fault = self._armed and lpushes > 0 and self.lpushes >= self.after
            if fault:
                self._armed = False
                self.faults += 1
        if fault and self.mode == "drop_request":
            return False
        upstream.sendall(data)
        with self._lock:
            self.lpushes += lpushes
        if fault and self.mode == "drop_reply":
            # Let Redis read the command before the client side goes away.
            _drain(upstream, 1.0)
            return False
        if fault and self.mode == "stall_reply":
            self._stalled.add(client)
        return True

    def _from_upstream(self, data: bytes, client: socket.socket) -> bool:
        if client not in self._stalled:
            client.sendall(data)
        return True

    def _done(self, client: socket.socket, upstream: socket.socket) -> None:
        if client not in self._stalled:
            super()._done(client, upstream)


def _drain(sock: socket.socket, timeout: float) -> None:
    """Wait for the reply to what was just sent (proof that Redis ran it) and discard it."""
    ready, _, _ = select.select([sock], [], [], timeout)
    if ready:
        sock.recv(65536)


class AmqpCutProxy(_Proxy):
    """A TCP proxy in front of RabbitMQ that cuts the first connection once, then forwards
    everything:

    - "before_confirm": forwards the first basic.publish (after `after` others went through),
      then closes both sides before the broker's confirm reaches the client (the message is
      queued; the client cannot know it);
    - "after_confirm": relays the first confirm (basic.ack), then closes both sides and creates
      the file `flag`: a connection the broker dropped between two publishes.
    """

    # Method frame payload starts: basic.publish (class 60, method 40), basic.ack (60, 80).
    _PUBLISH = b"\x00\x3c\x00\x28"
    _ACK = b"\x00\x3c\x00\x50"

    def __init__(
        self, upstream_port: int, mode: str = "before_confirm", flag: str | None = None, after: int = 0
    ) -> None:
        self.mode = mode
        self.flag = flag
        self.after = after
        self.publishes = 0
        self.cuts = 0
        super().__init__(upstream_port)

    def _from_client(self, data: bytes, client: socket.socket, upstream: socket.socket) -> bool:
        upstream.sendall(data)
        self.publishes += data.count(self._PUBLISH)
        if self.mode == "before_confirm" and self.cuts == 0 and self.publishes > self.after:
            self.cuts += 1
            # Let RabbitMQ take the message (its confirm is the proof) before the cut.
            _drain(upstream, 1.0)
            return False
        return True

    def _from_upstream(self, data: bytes, client: socket.socket) -> bool:
        client.sendall(data)
        if self.mode == "after_confirm" and self.cuts == 0 and self._ACK in data:
            self.cuts += 1
            return False
        return True

    def _done(self, client: socket.socket, upstream: socket.socket) -> None:
        super()._done(client, upstream)
        if self.cuts and self.flag is not None:
            with open(self.flag, "w"):
                pass
