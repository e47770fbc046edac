"""Servers for the connection tests: TLS material, a Redis listening every way at once, Sentinel.
(Servers that misbehave on purpose are in faults.py.)

Plain classes with no pytest dependency (tests/connections/conftest.py makes fixtures of them).
Waits poll for an event under a deadline, as in harness.py.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
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
