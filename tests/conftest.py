"""pytest fixtures: a real redis-server, a real Celery worker, PHP scripts run with a timeout.

Session-scoped (shared by every test, started once):
    redis_server   redis-server on a free port; db 0 = broker, db 1 = result backend
    worker         `celery -A python_worker worker` (solo pool unless CELERYBRIDGE_WORKER_POOL, queue
                   "celery") on it
    python_celery  a Celery app configured like that worker, to send tasks from Python
    worker_release the worker's Celery and kombu releases, and what differs between them
Per test:
    redis_factory  start extra redis-servers (custom args/config/password)
    worker_factory start extra workers (queues, pool, hostname, CELERY_CONFIG_JSON, ...)
    run_php        run a PHP snippet against the session Redis, fail on any warning
    records        BLPOP the events tasks.record pushes, emptied before and after each test

An extra worker on the session Redis competes with the session worker for queue "celery":
give it its own queue or its own redis_factory server.

External services (tests/external.py): CELERYBRIDGE_EXTERNAL_REDIS=redis://host:port makes
redis_server that Redis instead of a redis-server of its own; CELERYBRIDGE_EXTERNAL_WORKER=1 (or
the node name) makes `worker` the worker already running on it. With the worker external,
redis_factory, worker_factory and whatever needs the session processes themselves (restart,
stop, their logs) skip, with the reason in the summary.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery

import databases
import external
from harness import RECORDS_KEY, CeleryWorker, HarnessError, Records, RedisServer
from lifecycle import running
from php_runner import PHP_DIAGNOSTIC, PHP_SCRIPTS, PhpResult, ensure_autoload, php_script, run_php_script
from python_worker.config import settings_from_env
from versions import WorkerVersions, versions_from_probe, worker_versions

# Extra Celery settings of the session worker (an external one needs them too).
SESSION_WORKER_CONFIG = external.SESSION_WORKER_CONFIG
BROKER_DB = databases.BROKER
BACKEND_DB = databases.BACKEND

EXTERNAL_REDIS = os.environ.get(external.REDIS_ENV) or None
EXTERNAL_WORKER = os.environ.get(external.WORKER_ENV) or None

# Workers alive during the current test; their log tails are attached to failure reports.
_live_workers: list[CeleryWorker] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(report.longrepr, tuple) and external.SKIP_PREFIX in report.longrepr[2]:
        # Name the test in the -ra list, not the line of external.py that skipped it.
        reason = report.longrepr[2].removeprefix("Skipped: ")
        report.longrepr = (str(item.path), (item.location[1] or 0) + 1, f"{item.name}: {reason}")
    if report.failed:
        for live in _live_workers:
            tail = "\n".join(live.log_text().splitlines()[-60:])
            report.sections.append((f"celery worker {live.hostname} log (last 60 lines)", tail))


def pytest_configure(config: pytest.Config) -> None:
    if EXTERNAL_WORKER and not EXTERNAL_REDIS:
        raise pytest.UsageError(
            f"{external.WORKER_ENV} is set but {external.REDIS_ENV} is not: give the Redis the worker "
            "consumes from (redis://host:port; db 0 broker, db 1 results)."
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    if not EXTERNAL_REDIS:
        return []
    worker = f"the running worker ({external.WORKER_ENV}={EXTERNAL_WORKER})" if EXTERNAL_WORKER else "its own"
    return [f"external services: Redis {external.ExternalRedis(EXTERNAL_REDIS).url()[:-2]}, worker: {worker}"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line that says how many tests external mode left out (each is in the -ra list)."""
    skipped = [
        report for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and external.SKIP_PREFIX in str(report.longrepr[2])
    ]
    if skipped:
        terminalreporter.write_line(
            f"external services: {len(skipped)} test(s) skipped: they start, restart or read the logs of "
            "servers or workers, which the harness does only with processes it started itself",
            yellow=True,
        )


def _fail(error: HarnessError) -> None:
    pytest.fail(str(error), pytrace=False)


class _Factory:
    """Starts processes for one test (their files numbered under `base`) and ends all of them
    at its end."""

    def __init__(self, base: Path) -> None:
        self._base = base
        self._ids = itertools.count(1)

    def _path(self, name: str) -> Path:
        return self._base / f"{name}{next(self._ids)}"

    @staticmethod
    def _started(start: Callable[[], Any]) -> Any:
        try:
            return start()
        except HarnessError as error:
            _fail(error)
            raise

    def close(self) -> None:
        raise NotImplementedError


def _per_test(factory: _Factory, skip_reason: str) -> Iterator[Any]:
    """The body of a factory fixture: `factory` for the test, closed at its end; with an
    external worker the test is skipped for `skip_reason`."""
    if EXTERNAL_WORKER:
        external.skip(skip_reason)
    try:
        yield factory
    finally:
        factory.close()


class RedisFactory(_Factory):
    """Starts redis-servers for one test and stops all of them at its end."""

    def __init__(self, base: Path) -> None:
        super().__init__(base)
        self._servers: list[RedisServer] = []

    def __call__(self, **options: Any) -> RedisServer:
        """Start a server with RedisServer's options: `args` go on the command line, `config`
        lines into its redis.conf, `password`, `executable`."""
        server = RedisServer(self._path("redis"), **options)
        self._servers.append(server)
        return self._started(server.start)

    def close(self) -> None:
        for server in self._servers:
            server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the whole session: db 0 is the broker, db 1 the result backend.
    With CELERYBRIDGE_EXTERNAL_REDIS, that Redis instead (started and stopped by someone else)."""
    if EXTERNAL_REDIS:
        try:
            yield external.ExternalRedis(EXTERNAL_REDIS).start()  # type: ignore[misc]
        except HarnessError as error:
            _fail(error)
        return
    server = RedisServer(tmp_path_factory.mktemp("redis-session"))
    with running(server.start, server.stop):
        yield server


@pytest.fixture
def redis_factory(tmp_path: Path) -> Iterator[RedisFactory]:
    """Call it to start extra redis-servers (free port, temp dir); all stop when the test ends."""
    yield from _per_test(RedisFactory(tmp_path), "starts redis-servers of its own (redis_factory)")


class WorkerFactory(_Factory):
    """Starts Celery workers for one test and kills their process groups at its end."""

    def __init__(self, base: Path) -> None:
        super().__init__(base)
        self._workers: list[CeleryWorker] = []

    def __call__(
        self, broker_url: str, backend_url: str | None = None, *, timeout: float = 30.0, **options: Any
    ) -> CeleryWorker:
        """Start a worker with CeleryWorker's options (config, which becomes CELERY_CONFIG_JSON,
        queues, pool, concurrency, hostname, prefetch_multiplier, loglevel, extra_args, env) and
        wait for its "ready." line."""
        log = self._path("worker").with_suffix(".log")
        worker = CeleryWorker(log, broker_url=broker_url, backend_url=backend_url, **options)
        self._workers.append(worker)
        _live_workers.append(worker)
        return self._started(lambda: worker.start(timeout))

    def close(self) -> None:
        for worker in self._workers:
            worker.kill()
            if worker in _live_workers:
                _live_workers.remove(worker)


@pytest.fixture(scope="session")
def worker(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[CeleryWorker]:
    """The session worker: queue "celery", broker = redis_server db 0, results in db 1.
    With CELERYBRIDGE_EXTERNAL_WORKER, the worker already running there (found by a ping)."""
    if EXTERNAL_WORKER:
        yield _external_worker(request.getfixturevalue("python_celery"))  # type: ignore[misc]
        return
    session_worker = CeleryWorker(
        tmp_path_factory.mktemp("worker-session") / "worker.log",
        broker_url=redis_server.url(BROKER_DB),
        backend_url=redis_server.url(BACKEND_DB),
        config=SESSION_WORKER_CONFIG,
        hostname="session@%h",
    )
    _live_workers.append(session_worker)
    with running(session_worker.start, session_worker.stop, failed=session_worker.kill):
        yield session_worker
    _live_workers.remove(session_worker)


def _external_worker(app: Celery) -> CeleryWorker:
    """The running worker, after checking it accepts what the session worker accepts."""
    try:
        name = external.find_worker(app, EXTERNAL_WORKER or "1")
    except HarnessError as error:
        _fail(error)
        raise
    conf = (app.control.inspect(destination=[name], timeout=5.0).conf(with_defaults=True) or {}).get(name, {})
    missing = set(SESSION_WORKER_CONFIG["accept_content"]) - set(conf.get("accept_content") or ["json"])
    if missing:
        _fail(HarnessError(
            f"{external.WORKER_ENV}: worker {name} does not accept {sorted(missing)}: start it with "
            f"CELERY_CONFIG_JSON='{json.dumps(SESSION_WORKER_CONFIG)}'."
        ))
    return external.ExternalWorker(name)  # type: ignore[return-value]


@pytest.fixture(scope="session")
def worker_release(request: pytest.FixtureRequest) -> WorkerVersions:
    """The Celery/kombu/Python releases the workers run (CELERYBRIDGE_WORKER_PYTHON; tests/versions.py).
    An external worker is asked itself (inspect report)."""
    if EXTERNAL_WORKER:
        hostname = request.getfixturevalue("worker").hostname
        try:
            app = request.getfixturevalue("python_celery")
            return versions_from_probe(external.reported_versions(app, hostname))
        except HarnessError as error:
            _fail(error)
    return worker_versions()


@pytest.fixture
def worker_factory(tmp_path: Path) -> Iterator[WorkerFactory]:
    """Call it to start extra workers (queues, pool, hostname, config, ...); killed at test end."""
    yield from _per_test(WorkerFactory(tmp_path), "starts Celery workers of its own (worker_factory)")


@pytest.fixture(scope="session")
def python_celery(redis_server: RedisServer) -> Iterator[Celery]:
    """A Celery app with the session worker's broker and backend, to send tasks from Python.

    It is separate from python_worker.app, so tests can't change the worker's own app.
    """
    app = Celery("harness", set_as_current=False)
    app.conf.update(
        settings_from_env(
            {
                "CELERY_BROKER_URL": redis_server.url(BROKER_DB),
                "CELERY_RESULT_BACKEND": redis_server.url(BACKEND_DB),
            }
        )
    )
    try:
        yield app
    finally:
        app.close()


@pytest.fixture(scope="session")
def php_autoload() -> Path:
    """vendor/autoload.php, after running `composer dump-autoload` once if it is missing."""
    try:
        return ensure_autoload()
    except HarnessError as error:
        _fail(error)
        raise


class PhpRunner:
    """Writes a snippet after the standard preamble and runs it with php."""

    def __init__(self, directory: Path, env: Mapping[str, str]) -> None:
        self._directory = directory
        self._env = dict(env)
        self._ids = itertools.count(1)

    def __call__(
        self,
        code: str,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 30.0,
        *,
        check: bool = True,
        allow_warnings: bool = False,
        php_args: Sequence[str] = (),
    ) -> PhpResult:
        """Run `code` after the preamble and return stdout, stderr, returncode.

        The preamble declares strict types, requires vendor/autoload.php, imports
        CeleryBridge\\CeleryClient and sets $brokerUrl / $backendUrl from the environment.
        `env` overrides the default environment (None removes a variable). The test fails when
        PHP prints a warning, notice or deprecation (unless allow_warnings) or exits non-zero
        (unless check=False). `php_args` go to php before the script (["-d", "memory_limit=128M"]).
        """
        script = self._directory / f"script{next(self._ids)}.php"
        script.write_text(php_script(code))
        return self._run(script, env, timeout, check, allow_warnings, php_args)

    def file(
        self,
        name: str,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 30.0,
        *,
        check: bool = True,
        allow_warnings: bool = False,
        php_args: Sequence[str] = (),
        args: Sequence[str] = (),
    ) -> PhpResult:
        """Run the script tests/php/<name> (which requires the autoloader itself) with `args`
        as its arguments ($argv[1:]), with the same environment and checks as a snippet."""
        return self._run(PHP_SCRIPTS / name, env, timeout, check, allow_warnings, php_args, args)

    def _run(
        self,
        script: Path,
        env: Mapping[str, str | None] | None,
        timeout: float,
        check: bool,
        allow_warnings: bool,
        php_args: Sequence[str],
        args: Sequence[str] = (),
    ) -> PhpResult:
        try:
            environment = {**self._env, **(env or {})}
            result = run_php_script(script, environment, timeout, php_args=php_args, args=args)
        except HarnessError as error:
            _fail(error)
            raise
        if not allow_warnings and PHP_DIAGNOSTIC.search(result.stderr):
            pytest.fail(f"PHP emitted a diagnostic on stderr:\n{result.describe()}", pytrace=False)
        if check and result.returncode != 0:
            pytest.fail(f"PHP exited with {result.returncode}:\n{result.describe()}", pytrace=False)
        return result


@pytest.fixture
def run_php(redis_server: RedisServer, php_autoload: Path, tmp_path: Path) -> PhpRunner:
    """run_php(code, env=None, timeout=30, check=True, allow_warnings=False) -> PhpResult.

    Default environment: CELERY_BROKER_URL = session Redis db 0, CELERY_RESULT_BACKEND = db 1.
    """
    return PhpRunner(
        tmp_path,
        {
            "CELERY_BROKER_URL": redis_server.url(BROKER_DB),
            "CELERY_RESULT_BACKEND": redis_server.url(BACKEND_DB),
        },
    )


@pytest.fixture(autouse=True)
def no_messages_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    """Leak guard, as Celery's own integration conftest has one: a test that leaves messages
    waiting in a queue of the session broker (other than "celery", which the session worker
    drains) fails, so that no later test counts or consumes them."""
    yield
    if "redis_server" not in request.fixturenames:
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    client = server.client(BROKER_DB)
    try:
        # (SCAN's TYPE filter needs Redis 6; the matrix runs Redis 5 too.)
        lists = [key for key in client.scan_iter() if client.type(key) == b"list"]
        left = {
            key.decode(errors="replace"): client.llen(key)
            for key in lists
            if key != RECORDS_KEY.encode() and key.split(b"\x06\x16")[0] != b"celery"
        }
    finally:
        client.close()
    left = {key: length for key, length in left.items() if length}
    if left:
        pytest.fail(f"the test left messages waiting in {left}: purge the queues it filled", pytrace=False)


@pytest.fixture
def results_db(redis_server: RedisServer) -> redis.Redis:
    """A redis-py client on the session result backend database."""
    return redis_server.client(BACKEND_DB)


@pytest.fixture
def gates(redis_server: RedisServer) -> redis.Redis:
    """A redis-py client on the broker database, where the tasks' gate lists live."""
    return redis_server.client(BROKER_DB)


@pytest.fixture
def records(redis_server: RedisServer) -> Iterator[Records]:
    """The session broker's `celerybridge:records` list: .pop(timeout), .pop_many(n), .pending()."""
    # No socket timeout: redis-py 8 defaults to 5 s, which would cut a longer BLPOP short.
    client = redis_server.client(BROKER_DB, socket_timeout=None)
    helper = Records(client)
    helper.clear()
    try:
        yield helper
    finally:
        helper.clear()
        client.close()
