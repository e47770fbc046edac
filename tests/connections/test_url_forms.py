"""Every URL form a Celery config can hold, against a real Redis, from PHP on both clients.

One redis-server listens on TCP, TLS and a unix socket, with requirepass and an ACL user; a
real worker reads it over TLS as that user. PHP publishes tasks.record(marker) through the URL
under test and reads the result back through the matching result_backend URL; the test checks
that the worker ran exactly that task (its record) and that PHP got its return value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness import CeleryWorker, Records
from servers import MultiRedis

UrlPair = tuple[str, str, dict[str, Any]]


def _tls_query(server: MultiRedis, reqs: str = "required", extra: str = "") -> str:
    return f"ssl_cert_reqs={reqs}&ssl_ca_certs={server.tls.ca}{extra}"


def _client_cert_query(server: MultiRedis) -> str:
    tls = server.tls
    return _tls_query(server, extra=f"&ssl_certfile={tls.client_cert}&ssl_keyfile={tls.client_key}")


def _forms() -> dict[str, Callable[[MultiRedis], UrlPair]]:
    """URL form -> (broker_url, result_backend, extra config) on the multi server."""

    def tcp(s: MultiRedis, auth: str) -> UrlPair:
        return f"redis://{auth}127.0.0.1:{s.port}/0", f"redis://{auth}127.0.0.1:{s.port}/1", {}

    def tls(s: MultiRedis, host: str, query: str, auth: str | None = None) -> UrlPair:
        a = s.auth() if auth is None else auth
        base = f"rediss://{a}{host}:{s.tls_port}"
        return f"{base}/0?{query}", f"{base}/1?{query}", {}

    return {
        "redis:// requirepass": lambda s: tcp(s, s.auth()),
        "redis:// ACL user, percent-encoded": lambda s: tcp(s, s.auth(user=True)),
        "rediss:// verified (required + CA)": lambda s: tls(s, "localhost", _tls_query(s), s.auth(user=True)),
        "rediss:// CERT_REQUIRED spelling": lambda s: tls(s, "localhost", _tls_query(s, "CERT_REQUIRED")),
        "rediss:// CERT_OPTIONAL": lambda s: tls(s, "localhost", _tls_query(s, "CERT_OPTIONAL")),
        "rediss:// unverified (none)": lambda s: tls(s, "127.0.0.1", "ssl_cert_reqs=none"),
        "rediss:// ssl_check_hostname=false": lambda s: tls(
            s, "127.0.0.1", _tls_query(s, extra="&ssl_check_hostname=false")
        ),
        "rediss:// client certificate": lambda s: tls(
            s, "localhost", _client_cert_query(s),
        ),
        "rediss:// + broker_use_ssl": lambda s: (
            f"rediss://{s.auth()}localhost:{s.tls_port}/0",
            f"rediss://{s.auth()}localhost:{s.tls_port}/1",
            {
                "broker_use_ssl": {"ssl_cert_reqs": "required", "ssl_ca_certs": str(s.tls.ca)},
                "redis_backend_use_ssl": {"ssl_cert_reqs": "CERT_REQUIRED", "ssl_ca_certs": str(s.tls.ca)},
            },
        ),
        "redis+socket:// virtual_host": lambda s: (
            f"redis+socket://{s.auth()}{s.socket_path}?virtual_host=0",
            f"redis+socket://{s.auth()}{s.socket_path}?virtual_host=1",
            {},
        ),
        "unix:// ACL user": lambda s: (
            f"unix://{s.auth(user=True)}{s.socket_path}?db=0",
            f"unix://{s.auth(user=True)}{s.socket_path}?db=1",
            {},
        ),
        "redis:// IPv6 loopback": lambda s: (
            f"redis://{s.auth()}[::1]:{s.port}/0",
            f"redis://{s.auth()}[::1]:{s.port}/1",
            {},
        ),
        "failover list, first server down": lambda s: (
            f"redis://127.0.0.1:1/0;redis://{s.auth()}127.0.0.1:{s.port}/0",
            f"redis://{s.auth()}127.0.0.1:{s.port}/1",
            {},
        ),
    }


FORMS = _forms()


@pytest.mark.parametrize("form", list(FORMS))
def test_url_form(
    form: str,
    redis_client: str,
    multi_redis: MultiRedis,
    multi_worker: CeleryWorker,
    send_via: Any,
    records: Records,
) -> None:
    if "IPv6" in form and not multi_redis.ipv6:
        pytest.skip("no IPv6 loopback on this machine")
    broker, backend, config = FORMS[form](multi_redis)

    sent = send_via(broker, backend, redis_client, config)

    assert sent["ok"], sent
    record = records.pop(15)
    assert record["args"] == [sent["marker"]]
    assert record["request"]["id"] == sent["id"]
    assert sent["args"] == [sent["marker"]], "PHP read the worker's return value through the backend URL"
    assert records.pending() == []


@pytest.mark.parametrize(
    ("case", "exception", "says"),
    [
        ("wrong CA", "TlsFailed", "certificate verify failed"),
        ("name not in certificate", "TlsFailed", "did not match"),
        ("wrong password", "AuthenticationFailed", "rejected the credentials"),
        ("wrong ACL password", "AuthenticationFailed", 'user "alice"'),
        ("no password", "AuthenticationFailed", "requires a password"),
        ("plain TCP to the TLS port", "ConnectionLost", "expects TLS"),
        ("missing socket", "ConnectionRefused", "unixsocket"),
    ],
)
def test_refused_forms_say_what_is_wrong(
    case: str, exception: str, says: str, redis_client: str, multi_redis: MultiRedis, send_via: Any
) -> None:
    s = multi_redis
    broker = {
        "wrong CA": f"rediss://{s.auth()}localhost:{s.tls_port}/0?ssl_cert_reqs=required&ssl_ca_certs={s.tls.other_ca}",
        "name not in certificate": f"rediss://{s.auth()}127.0.0.1:{s.tls_port}/0?{_tls_query(s)}",
        "wrong password": f"redis://:nope@127.0.0.1:{s.port}/0",
        "wrong ACL password": f"redis://alice:nope@127.0.0.1:{s.port}/0",
        "no password": f"redis://127.0.0.1:{s.port}/0",
        "plain TCP to the TLS port": f"redis://{s.auth()}127.0.0.1:{s.tls_port}/0",
        "missing socket": f"redis+socket://{s.auth()}{s.socket_path}.missing",
    }[case]
    before = s.client(0).llen("celery")

    sent = send_via(broker, None, redis_client, {"task_publish_retry": False})

    assert not sent["ok"], sent
    assert sent["class"] == exception, sent
    assert says in sent["message"]
    assert "nope" not in sent["message"] and s.PASSWORD not in sent["message"]
    assert s.client(0).llen("celery") == before, "nothing was queued"


PHP_INJECTED = """
if (!class_exists(\\Predis\\Client::class)) {
    require_once 'Predis/Autoloader.php';
    \\Predis\\Autoloader::register();
}
$port = (int) getenv('CB_PORT');
$password = (string) getenv('CB_PASSWORD');
if (getenv('CB_CLIENT') === 'phpredis') {
    $make = static function (int $db) use ($port, $password): \\Redis {
        $redis = new \\Redis();
        $redis->connect('127.0.0.1', $port, 2.0);
        $redis->auth($password);
        $redis->select($db);
        return $redis;
    };
} else {
    $make = static fn (int $db): \\Predis\\Client => new \\Predis\\Client(
        ['host' => '127.0.0.1', 'port' => $port, 'password' => $password, 'database' => $db],
    );
}
$client = new CeleryClient($make(0), $make(1));
$result = $client->sendTask('tasks.record', [getenv('CB_MARKER')]);
echo json_encode(['id' => $result->id, 'args' => $result->get(timeout: 20.0)['args']]);
"""


def test_injected_client(
    redis_client: str, multi_redis: MultiRedis, multi_worker: CeleryWorker, run_php: Any, records: Records
) -> None:
    """A \\Redis or Predis\\Client the application already connected works as broker and backend."""
    marker = "injected-" + redis_client
    out = run_php(
        PHP_INJECTED,
        env={
            "CB_CLIENT": redis_client,
            "CB_PORT": str(multi_redis.port),
            "CB_PASSWORD": multi_redis.PASSWORD,
            "CB_MARKER": marker,
        },
    ).json()

    record = records.pop(15)
    assert record["args"] == [marker]
    assert out == {"id": record["request"]["id"], "args": [marker]}
