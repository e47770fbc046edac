"""TLS mistakes an operator makes, each reported at connect as TlsFailed with the cause named
(and nothing sent), with either Redis client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import REPO_ROOT
from lifecycle import running
from php_runner import run_php_script
from servers import MultiRedis, TlsFiles

SCRIPT = """<?php
require $argv[1];
if ($argv[3] === 'predis' && !class_exists(\\Predis\\Client::class)) {
    require_once 'Predis/Autoloader.php';
    \\Predis\\Autoloader::register();
}
try {
    $celery = new CeleryBridge\\CeleryClient($argv[2], null, ['redis_client' => $argv[3]]);
    $celery->sendTask('tasks.add', [1, 2]);
    echo "sent\\n";
} catch (\\Throwable $e) {
    echo get_class($e), ': ', $e->getMessage(), "\\n";
}
"""


@pytest.fixture(scope="module")
def strict_tls(tmp_path_factory: pytest.TempPathFactory, tls_files: TlsFiles) -> Iterator[MultiRedis]:
    """A server whose TLS port requires a client certificate (tls-auth-clients yes)."""
    server = MultiRedis(tmp_path_factory.mktemp("strict-tls"), tls_files, tls_auth_clients="yes")
    with running(server.start, server.stop):
        yield server


def _send(url: str, client: str, tmp_path: Path) -> str:
    script = tmp_path / "send.php"
    script.write_text(SCRIPT)
    autoload = str(REPO_ROOT / "vendor" / "autoload.php")
    return run_php_script(script, {}, timeout=60, args=[autoload, url, client]).stdout.strip()


@pytest.mark.parametrize("password", [False, True], ids=["no password", "password"])
def test_a_missing_client_certificate_fails_at_connect(
    strict_tls: MultiRedis, tls_files: TlsFiles, redis_client: str, tmp_path: Path, password: bool
) -> None:
    """Not PublishOutcomeUnknown on the LPUSH: TlsFailed naming ssl_certfile, nothing queued."""
    auth = strict_tls.auth() if password else ""
    url = f"rediss://{auth}localhost:{strict_tls.tls_port}/0?ssl_cert_reqs=required&ssl_ca_certs={tls_files.ca}"

    shown = _send(url, redis_client, tmp_path)

    assert shown.startswith("CeleryBridge\\Exception\\TlsFailed: "), shown
    assert "client certificate" in shown and "ssl_certfile" in shown
    assert strict_tls.client().llen("celery") == 0


@pytest.mark.parametrize("option", ["ssl_ca_certs", "ssl_certfile", "ssl_keyfile"])
def test_a_missing_tls_file_is_named(
    strict_tls: MultiRedis, tls_files: TlsFiles, redis_client: str, tmp_path: Path, option: str
) -> None:
    files = {
        "ssl_ca_certs": str(tls_files.ca),
        "ssl_certfile": str(tls_files.client_cert),
        "ssl_keyfile": str(tls_files.client_key),
    }
    files[option] = str(tmp_path / "nowhere" / "missing.pem")
    query = "&".join(f"{key}={value}" for key, value in files.items())
    url = f"rediss://{strict_tls.auth()}localhost:{strict_tls.tls_port}/0?ssl_cert_reqs=required&{query}"

    shown = _send(url, redis_client, tmp_path)

    assert shown.startswith("CeleryBridge\\Exception\\TlsFailed: "), shown
    assert f'{option} names "{files[option]}", which does not exist' in shown


def test_plain_redis_to_a_tls_port_says_rediss(
    strict_tls: MultiRedis, redis_client: str, tmp_path: Path
) -> None:
    """The TLS port waits for a handshake and never answers: the timeout names rediss://."""
    url = f"redis://127.0.0.1:{strict_tls.tls_port}/0"
    script = tmp_path / "plain.php"
    short = "null, ['redis_client' => $argv[3], 'broker_transport_options' => ['socket_timeout' => 1]]"
    script.write_text(SCRIPT.replace("null, ['redis_client' => $argv[3]]", short))
    autoload = str(REPO_ROOT / "vendor" / "autoload.php")

    shown = run_php_script(script, {}, timeout=60, args=[autoload, url, redis_client]).stdout.strip()

    assert "the URL must be rediss://" in shown, shown
