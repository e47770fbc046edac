"""Fixtures for the connection tests: TLS files, a Redis listening every way at once with its
worker, a Sentinel setup with its worker, and `send_via` to publish from PHP over a URL.

Every worker here writes its tasks.record events to the session Redis, so the `records`
fixture of tests/conftest.py sees them.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from harness import REPO_ROOT, CeleryWorker, HarnessError, RedisServer
from lifecycle import running
from php_runner import PHP_DIAGNOSTIC, PHP_FLAGS, php_script
from servers import MultiRedis, SentinelSetup, TlsFiles, make_tls_files, sentinel_config, sentinel_urls

CLIENTS = ("phpredis", "predis")

# Loads Debian's php-predis (or Composer's) so that redis_client => predis can work.
PHP_LOAD_PREDIS = """
if (!class_exists(\\Predis\\Client::class)) {
    require_once 'Predis/Autoloader.php';
    \\Predis\\Autoloader::register();
}
"""

# Sends tasks.record(marker) over CB_BROKER, reads its result over CB_BACKEND, prints JSON.
PHP_ROUND_TRIP = PHP_LOAD_PREDIS + """
$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$broker = getenv('CB_BROKER');
$backend = getenv('CB_BACKEND') ?: null;
try {
    $client = new CeleryClient($broker, $backend, $config);
    $result = $client->sendTask('tasks.record', [getenv('CB_MARKER')]);
    $value = $backend === null ? null : $result->get(timeout: 20.0);
    echo json_encode(['ok' => true, 'id' => $result->id, 'args' => $value['args'] ?? null]);
} catch (\\CeleryBridge\\Exception\\CeleryBridgeException $e) {
    echo json_encode([
        'ok' => false,
        'class' => (new \\ReflectionClass($e))->getShortName(),
        'message' => $e->getMessage(),
    ]);
}
"""


@pytest.fixture(params=CLIENTS)
def redis_client(request: pytest.FixtureRequest) -> str:
    """The PHP Redis client under test: every connection test runs once per client."""
    return str(request.param)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A test CA, a server certificate for DNS:localhost, a client certificate, a wrong CA."""
    try:
        return make_tls_files(tmp_path_factory.mktemp("tls"))
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)


def _start_worker(
    log: Path, broker_url: str, backend_url: str, records_url: str, config: Mapping[str, Any] | None = None
) -> CeleryWorker:
    worker = CeleryWorker(
        log,
        broker_url=broker_url,
        backend_url=backend_url,
        config=dict(config or {}),
        hostname=f"conn-{uuid.uuid4().hex[:6]}@%h",
        env={"CELERY_BRIDGE_RECORDS_URL": records_url},
    )
    try:
        return worker.start(45.0)
    except HarnessError as error:
        worker.kill()
        pytest.fail(f"{error}\n{worker.log_text()[-3000:]}", pytrace=False)


@pytest.fixture(scope="module")
def multi_redis(tmp_path_factory: pytest.TempPathFactory, tls_files: TlsFiles) -> Iterator[MultiRedis]:
    """One redis-server on TCP (IPv4, IPv6 when available), TLS and a unix socket, with
    requirepass and an ACL user."""
    server = MultiRedis(tmp_path_factory.mktemp("multi"), tls_files)
    with running(server.start, server.stop, failed=server.stop):
        yield server


def multi_worker_urls(server: MultiRedis) -> tuple[str, str]:
    """The worker's own broker_url / result_backend: TLS, verified, as the ACL user."""
    query = f"ssl_cert_reqs=required&ssl_ca_certs={server.tls.ca}"
    base = f"rediss://{server.auth(user=True)}localhost:{server.tls_port}"
    return f"{base}/0?{query}", f"{base}/1?{query}"


@pytest.fixture(scope="module")
def multi_worker(
    multi_redis: MultiRedis, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryWorker]:
    """A worker that reads multi_redis over TLS as the ACL user (Celery parsing the URL forms
    we test), storing results in db 1 and records on the session Redis."""
    broker, backend = multi_worker_urls(multi_redis)
    worker = _start_worker(tmp_path_factory.mktemp("multi-worker") / "worker.log", broker, backend,
                           redis_server.url(0))
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture(scope="module")
def sentinel_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelSetup]:
    """Master + replica (password-protected) watched by two password-protected sentinels."""
    setup = SentinelSetup(tmp_path_factory.mktemp("sentinel"))
    with running(setup.start, setup.stop, failed=setup.stop):
        yield setup


@pytest.fixture(scope="module")
def sentinel_worker(
    sentinel_setup: SentinelSetup, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryWorker]:
    """A worker on the Sentinel URLs: it follows failovers like the PHP side must."""
    broker, backend = sentinel_urls(sentinel_setup)
    worker = _start_worker(tmp_path_factory.mktemp("sentinel-worker") / "worker.log", broker, backend,
                           redis_server.url(0), sentinel_config(sentinel_setup))
    try:
        yield worker
    finally:
        worker.stop()


class SendVia:
    """send_via(broker, backend, client, config) -> dict: PHP sends tasks.record(marker) over the
    given URLs (CeleryClient), waits for the result, and returns what it printed plus the marker."""

    def __init__(self, run_php: Any) -> None:
        self._run_php = run_php

    def __call__(
        self,
        broker: str,
        backend: str | None,
        client: str,
        config: Mapping[str, Any] | None = None,
        timeout: float = 60.0,
    ) -> dict[str, Any]:
        marker = uuid.uuid4().hex
        result = self._run_php(
            PHP_ROUND_TRIP,
            env={
                "CB_BROKER": broker,
                "CB_BACKEND": backend or "",
                "CB_CONFIG": json.dumps({"redis_client": client, **(config or {})}),
                "CB_MARKER": marker,
            },
            timeout=timeout,
        )
        return {**result.json(), "marker": marker}


@pytest.fixture
def send_via(run_php: Any) -> SendVia:
    """Publish tasks.record from PHP over any URL form and read the result back (see SendVia)."""
    return SendVia(run_php)


# --- long-running PHP, driven step by step ----------------------------------------------------

PHP_SESSION_HELPERS = PHP_LOAD_PREDIS + """
function say(array $message): void
{
    echo json_encode($message, JSON_THROW_ON_ERROR), "\\n";
    fflush(STDOUT);
}

/** Blocks until the test writes a line: the test's "go" after it changed the servers. */
function await_go(): string
{
    say(['waiting' => true]);
    return trim((string) fgets(STDIN));
}

/** Publishes tasks.record($marker); returns what happened, never throws. */
function attempt(CeleryClient $client, string $marker): array
{
    $started = microtime(true);
    try {
        $result = $client->sendTask('tasks.record', [$marker]);
        $seconds = microtime(true) - $started;
        return ['marker' => $marker, 'outcome' => 'ok', 'id' => $result->id, 'seconds' => $seconds];
    } catch (\\CeleryBridge\\Exception\\PublishOutcomeUnknown $e) {
        $outcome = 'unknown';
    } catch (\\CeleryBridge\\Exception\\ConnectionFailed $e) {
        $outcome = 'failed';
    }
    return [
        'marker' => $marker,
        'outcome' => $outcome,
        'class' => (new \\ReflectionClass($e))->getShortName(),
        'message' => $e->getMessage(),
        'task_ids' => $e->taskIds(),
        'canvas_id' => $e->canvasId(),
        'seconds' => microtime(true) - $started,
    ];
}
"""


class PhpSession:
    """A PHP process the test talks to: it prints JSON lines, and waits for "go" lines."""

    def __init__(self, script: Path, env: Mapping[str, str]) -> None:
        self.script = script
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stdout: list[str] = []
        self._process = subprocess.Popen(
            ["php", *PHP_FLAGS, str(script)],
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

        def pump() -> None:
            assert self._process.stdout is not None
            for line in self._process.stdout:
                self._stdout.append(line)
                self._lines.put(line)
            self._lines.put(None)

        self._reader = threading.Thread(target=pump, daemon=True)
        self._reader.start()

    def read(self, timeout: float = 60.0) -> dict[str, Any]:
        """The next JSON line PHP printed."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise HarnessError(f"PHP printed nothing for {timeout}s:\n{self.describe()}") from None
        if line is None:
            self._process.wait(5)
            raise HarnessError(f"PHP exited early:\n{self.describe()}")
        return dict(json.loads(line))

    def wait_for_go(self, timeout: float = 60.0) -> None:
        message = self.read(timeout)
        if not message.get("waiting"):
            raise HarnessError(f"expected PHP to wait, got {message}")

    def go(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write("go\n")
        self._process.stdin.flush()

    def finish(self, timeout: float = 60.0) -> None:
        """Wait for a clean exit: status 0 and no PHP diagnostic on stderr."""
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self._reader.join(5)
        stderr = self._process.stderr.read() if self._process.stderr else ""
        if self._process.returncode != 0 or PHP_DIAGNOSTIC.search(stderr):
            raise HarnessError(f"PHP exited with {self._process.returncode}:\n{self.describe()}\n{stderr}")

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def describe(self) -> str:
        stderr = ""
        if self._process.poll() is not None and self._process.stderr is not None:
            stderr = self._process.stderr.read()
        return f"script: {self.script}\n--- stdout ---\n{''.join(self._stdout)}\n--- stderr ---\n{stderr}"


@pytest.fixture
def php_session(php_autoload: Path, tmp_path: Path) -> Iterator[Any]:
    """php_session(code, env) -> PhpSession: PHP_SESSION_HELPERS (say, await_go, attempt) + code."""
    sessions: list[PhpSession] = []

    def start(code: str, env: Mapping[str, str]) -> PhpSession:
        script = tmp_path / f"session{len(sessions) + 1}.php"
        script.write_text(php_script(PHP_SESSION_HELPERS + code))
        session = PhpSession(script, env)
        sessions.append(session)
        return session

    try:
        yield start
    finally:
        for session in sessions:
            session.kill()
