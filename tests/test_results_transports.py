"""The result wait over every transport a result_backend URL can name: TCP, TLS, unix socket.

The worker writes results over plain TCP; PHP reads the same server through a rediss:// URL
(TLS port, certificate verified against a throwaway CA) and a redis+socket:// URL. Each wait
opens its own subscriber connection over that transport.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

import databases
from harness import HarnessError, RedisServer, free_port, server_with_worker

BROKER_DB = databases.BROKER
BACKEND_DB = databases.TRANSPORTS_BACKEND


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HarnessError(f"openssl {' '.join(args)} failed:\n{done.stderr}")


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it: (ca, cert, key)."""
    directory.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "1",
        "-subj",
        "/CN=CeleryBridge test CA",
        cwd=directory,
    )
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
        cwd=directory,
    )
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "1",
        "-extfile",
        "san.ext",
        cwd=directory,
    )
    return directory / "ca.crt", directory / "server.crt", directory / "server.key"


@pytest.fixture(scope="module")
def transports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """One redis-server listening on TCP, TLS and a unix socket, and a worker on its TCP port."""
    base = tmp_path_factory.mktemp("results-transports")
    ca, cert, key = make_certificates(base / "tls")
    socket_path = base / "redis.sock"
    tls_port = free_port()
    server = RedisServer(
        base / "redis",
        config=[
            f"tls-port {tls_port}",
            f"tls-cert-file {cert}",
            f"tls-key-file {key}",
            f"tls-ca-cert-file {ca}",
            "tls-auth-clients no",
            f"unixsocket {socket_path}",
            "unixsocketperm 700",
        ],
    )
    with server_with_worker(server, base / "worker.log", BROKER_DB, BACKEND_DB, hostname="transports@%h"):
        yield {"server": server, "tls_port": tls_port, "ca": ca, "socket": socket_path}


def _read_through(run_php, transports: dict[str, object], backend_url: str) -> dict[str, object]:
    server = transports["server"]
    assert isinstance(server, RedisServer)
    env = {"CELERY_BROKER_URL": server.url(BROKER_DB), "CELERY_RESULT_BACKEND": backend_url}
    return run_php.file("results_transports.php", env=env, args=["through_url"]).json()


def test_results_over_tls(transports: dict[str, object], run_php) -> None:
    ca = quote(str(transports["ca"]), safe="")
    url = f"rediss://127.0.0.1:{transports['tls_port']}/{BACKEND_DB}?ssl_cert_reqs=required&ssl_ca_certs={ca}"

    assert _read_through(run_php, transports, url) == {"single": 42, "many": [0, 1, 2]}


def test_results_over_a_unix_socket(transports: dict[str, object], run_php) -> None:
    url = f"redis+socket://{transports['socket']}?virtual_host={BACKEND_DB}"

    assert _read_through(run_php, transports, url) == {"single": 42, "many": [0, 1, 2]}


@pytest.mark.parametrize("client", ["phpredis", "predis"])
def test_results_through_a_client_object(transports: dict[str, object], run_php, client: str) -> None:
    server = transports["server"]
    assert isinstance(server, RedisServer)
    env = {
        "CELERY_BROKER_URL": server.url(BROKER_DB),
        "CB_CLIENT": client,
        "CB_PORT": str(server.port),
        "CB_DB": str(BACKEND_DB),
    }
    got = run_php.file("results_transports.php", env=env, args=["through_client_object"]).json()

    assert got == [42, "ok"]
