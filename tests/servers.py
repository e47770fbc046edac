"""Servers for the connection tests: TLS material, a Redis listening every way at once, Sentinel,
and misbehaving TCP servers (silent, full backlog, a fault-injecting proxy, a port that hangs up).

Plain classes with no pytest dependency (tests/connections/conftest.py makes fixtures of them).
Waits poll for an event under a deadline, as in harness.py.
"""

from __future__ import annotations

import contextlib
import select
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import redis

from harness import POLL_INTERVAL, HarnessError, RedisServer, free_port


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `condition` until it returns something truthy; raise HarnessError after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except (redis.RedisError, OSError) as error:
            last_error = error
        if time.monotonic() > deadline:
            raise HarnessError(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")
        time.sleep(POLL_INTERVAL)


# --- TLS -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    """A CA, a server certificate it signed for DNS:localhost only, a client certificate it
    signed, and an unrelated CA (the "wrong CA")."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HarnessError(f"openssl {' '.join(args)} failed:\n{done.stderr}")


def make_tls_files(directory: Path) -> TlsFiles:
    """Generate the certificates with the openssl CLI (2048-bit RSA, valid 2 days)."""
    directory.mkdir(parents=True, exist_ok=True)
    d = directory
    self_signed = ("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2")
    _openssl(*self_signed, "-subj", "/CN=CeleryBridge Test CA", "-keyout", "ca.key", "-out", "ca.crt", cwd=d)
    _openssl(*self_signed, "-subj", "/CN=Unrelated CA", "-keyout", "other.key", "-out", "other-ca.crt", cwd=d)
    # Only DNS:localhost: connecting as 127.0.0.1 is a name mismatch, on purpose.
    (d / "server.ext").write_text("subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n")
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, subject in (("server", "/CN=localhost"), ("client", "/CN=celery-bridge-client")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject,
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.crt", cwd=d)
    return TlsFiles(d / "ca.crt", d / "server.crt", d / "server.key", d / "client.crt", d / "client.key",
                    d / "other-ca.crt")


# --- one Redis, every listener ------------------------------------------------------------------


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


class MultiRedis:
    """One redis-server reachable over plain TCP (IPv4 and, when available, IPv6), TLS and a unix
    socket, with `requirepass` for the default user and an ACL user. Special characters in both
    passwords exercise percent-decoding."""

    PASSWORD = "s3cr@t:/pw"
    USER = "alice"
    USER_PASSWORD = "w0nder;land@"

    def __init__(self, directory: Path, tls: TlsFiles, *, tls_auth_clients: str = "optional") -> None:
        self.tls = tls
        self.tls_port = free_port()
        # AF_UNIX paths are limited to 107 bytes; pytest's tmp dirs can be longer.
        self.socket_dir = Path(tempfile.mkdtemp(prefix="cb-sock-"))
        self.socket_path = self.socket_dir / "redis.sock"
        self.ipv6 = ipv6_loopback_available()
        config = [
            f"tls-port {self.tls_port}",
            f"tls-cert-file {tls.server_cert}",
            f"tls-key-file {tls.server_key}",
            f"tls-ca-cert-file {tls.ca}",
            f"tls-auth-clients {tls_auth_clients}",
            f"unixsocket {self.socket_path}",
            "unixsocketperm 700",
            f"user {self.USER} on >{self.USER_PASSWORD} ~* &* +@all",
        ]
        if self.ipv6:
            config.append("bind 127.0.0.1 ::1")
        self.server = RedisServer(directory, config=config, password=self.PASSWORD)

    def start(self) -> MultiRedis:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
        with contextlib.suppress(OSError):
            self.socket_path.unlink(missing_ok=True)
            self.socket_dir.rmdir()

    @property
    def port(self) -> int:
        return self.server.port

    def client(self, db: int = 0) -> redis.Redis:
        return self.server.client(db)

    def auth(self, user: bool = False) -> str:
        """Percent-encoded user info with the trailing "@"."""
        if user:
            return f"{quote(self.USER, safe='')}:{quote(self.USER_PASSWORD, safe='')}@"
        return f":{quote(self.PASSWORD, safe='')}@"


# --- Sentinel -----------------------------------------------------------------------------------


class SentinelSetup:
    """A master, a replica and two redis-sentinel processes watching them as `mymaster`.

    Data nodes require MASTER_PASSWORD (replicas authenticate with masterauth), sentinels
    require SENTINEL_PASSWORD: the URL carries the first, sentinel_kwargs the second.
    """

    NAME = "mymaster"
    MASTER_PASSWORD = "m@ster-pw"
    SENTINEL_PASSWORD = "sentinel-pw"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        data_config = [f"masterauth {self.MASTER_PASSWORD}", "replica-read-only yes"]
        self.nodes = [
            RedisServer(directory / "node1", config=data_config, password=self.MASTER_PASSWORD),
            RedisServer(directory / "node2", config=data_config, password=self.MASTER_PASSWORD),
        ]
        self.sentinels: list[RedisServer] = []

    def start(self, timeout: float = 30.0) -> SentinelSetup:
        master, replica = self.nodes
        master.start()
        replica.start()
        replica.client().replicaof("127.0.0.1", master.port)
        wait_until(lambda: replica.client().info("replication")["master_link_status"] == "up", timeout,
                   "the replica to sync")
        for number in (1, 2):
            sentinel = RedisServer(
                self.directory / f"sentinel{number}",
                executable="redis-sentinel",
                password=self.SENTINEL_PASSWORD,
                config=[
                    f"sentinel sentinel-pass {self.SENTINEL_PASSWORD}",
                    f"sentinel monitor {self.NAME} 127.0.0.1 {master.port} 1",
                    f"sentinel auth-pass {self.NAME} {self.MASTER_PASSWORD}",
                    f"sentinel down-after-milliseconds {self.NAME} 1000",
                    f"sentinel failover-timeout {self.NAME} 3000",
                    f"sentinel parallel-syncs {self.NAME} 1",
                ],
            )
            self.sentinels.append(sentinel.start())
        self.wait_stable(timeout)
        return self

    def stop(self) -> None:
        for server in [*self.sentinels, *self.nodes]:
            server.stop()

    def sentinel_client(self, index: int = 0) -> redis.Redis:
        return self.sentinels[index].client(decode_responses=True, socket_timeout=2.0)

    def master_port(self, index: int = 0) -> int:
        client = self.sentinel_client(index)
        _host, port = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.NAME)
        return int(port)

    def node_on(self, port: int) -> RedisServer:
        return next(node for node in self.nodes if node.port == port)

    def master(self) -> RedisServer:
        return self.node_on(self.master_port())

    def replica(self) -> RedisServer:
        master = self.master_port()
        return next(node for node in self.nodes if node.port != master)

    def wait_stable(self, timeout: float = 30.0) -> None:
        """Both sentinels agree on a master that says it is master, know the other sentinel,
        and see the other node as a healthy replica whose link is up."""

        def stable() -> bool:
            ports = {self.master_port(i) for i in range(len(self.sentinels))}
            if len(ports) != 1:
                return False
            master = self.node_on(ports.pop())
            replica = next(node for node in self.nodes if node is not master)
            if master.client().execute_command("ROLE")[0] != b"master":
                return False
            if replica.client().info("replication").get("master_link_status") != "up":
                return False
            for index in range(len(self.sentinels)):
                client = self.sentinel_client(index)
                replicas = client.execute_command("SENTINEL", "REPLICAS", self.NAME)
                healthy = [r for r in replicas if _pairs(r)["port"] == str(replica.port)
                           and not {"s_down", "o_down", "disconnected"} & set(_pairs(r)["flags"].split(","))]
                if not healthy:
                    return False
                if len(client.execute_command("SENTINEL", "SENTINELS", self.NAME)) < len(self.sentinels) - 1:
                    return False
            return True

        wait_until(stable, timeout, "Sentinel to agree on a master with a synced replica")

    def failover(self, timeout: float = 30.0) -> int:
        """SENTINEL FAILOVER and wait until it is complete; returns the new master's port."""
        old = self.master_port()
        # Replication is asynchronous: let the replica catch up first, or the newest writes
        # (a result stored a moment ago) would be lost with the old master's data.
        self.node_on(old).client().execute_command("WAIT", 1, 5000)
        self.sentinel_client().execute_command("SENTINEL", "FAILOVER", self.NAME)
        wait_until(lambda: all(self.master_port(i) != old for i in range(len(self.sentinels))), timeout,
                   "both sentinels to name the new master")
        new = self.master_port()
        # Sentinel demotes the old master only after its next INFO poll (up to 10 s later);
        # until then it still accepts writes. Do what Sentinel will do, now: REPLICAOF, then
        # disconnect the clients so that they ask Sentinel again.
        self.demote(self.node_on(old), new)
        self.wait_stable(timeout)
        return new

    def kill_master(self) -> RedisServer:
        """Stop the master (SIGTERM) after its writes reached the replica; returns it."""
        master = self.master()
        master.client().execute_command("WAIT", 1, 5000)
        master.stop()
        return master

    def wait_promoted(self, old_port: int, timeout: float = 30.0) -> int:
        wait_until(lambda: all(self.master_port(i) != old_port for i in range(len(self.sentinels))), timeout,
                   "Sentinel to promote the replica")
        return self.master_port()

    def rejoin(self, node: RedisServer, timeout: float = 30.0) -> None:
        """Start a stopped node again; Sentinel turns it into a replica of the current master."""
        node.restart()
        self.demote(node, self.master_port())
        self.wait_stable(timeout)

    @staticmethod
    def demote(node: RedisServer, master_port: int) -> None:
        # Clients first: a client blocked in BRPOP while the node turns replica gets an
        # "-UNBLOCKED" error reply, which a Celery 5.7 worker treats as unrecoverable and exits.
        client = node.client()
        client.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
        client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        client.replicaof("127.0.0.1", master_port)
        client.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")


def sentinel_urls(setup: SentinelSetup) -> tuple[str, str]:
    """broker_url and result_backend over the two sentinels, master password in the URL."""
    auth = f":{quote(setup.MASTER_PASSWORD, safe='')}@"
    hosts = [f"127.0.0.1:{sentinel.port}" for sentinel in setup.sentinels]
    broker = ";".join(f"sentinel://{auth}{host}/0" for host in hosts)
    backend = ";".join(f"sentinel://{auth}{host}/1" for host in hosts)
    return broker, backend


def sentinel_config(setup: SentinelSetup) -> dict[str, Any]:
    """Celery settings naming the master and the sentinels' password (same for PHP and Python)."""
    options = {"master_name": setup.NAME, "sentinel_kwargs": {"password": setup.SENTINEL_PASSWORD}}
    return {"broker_transport_options": options, "result_backend_transport_options": options}


def _pairs(flat: Any) -> dict[str, str]:
    if isinstance(flat, dict):
        return {str(k): str(v) for k, v in flat.items()}
    items = list(flat)
    return {str(items[i]): str(items[i + 1]) for i in range(0, len(items) - 1, 2)}


# --- misbehaving TCP servers --------------------------------------------------------------------


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


class FaultProxy:
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
        self.upstream_port = upstream_port
        self.mode = mode
        self.after = after
        self._armed = True
        self.lpushes = 0
        self.faults = 0
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=16)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

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
        stalled = False
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([client, upstream], [], [], 0.05)
                if client in ready:
                    data = client.recv(65536)
                    if not data:
                        return
                    lpushes = data.lower().count(self._LPUSH)
                    with self._lock:
                        fault = self._armed and lpushes > 0 and self.lpushes >= self.after
                        if fault:
                            self._armed = False
                            self.faults += 1
                    if fault and self.mode == "drop_request":
                        return
                    upstream.sendall(data)
                    with self._lock:
                        self.lpushes += lpushes
                    if fault and self.mode == "drop_reply":
                        # Let Redis read the command before the client side goes away.
                        _drain(upstream, 1.0)
                        return
                    if fault and self.mode == "stall_reply":
                        stalled = True
                if upstream in ready:
                    data = upstream.recv(65536)
                    if not data:
                        return
                    if not stalled:
                        client.sendall(data)
        except OSError:
            return
        finally:
            if not stalled:
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


def _drain(sock: socket.socket, timeout: float) -> None:
    """Wait for the reply to what was just sent (proof that Redis ran it) and discard it."""
    ready, _, _ = select.select([sock], [], [], timeout)
    if ready:
        sock.recv(65536)
