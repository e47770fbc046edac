"""Real processes for the tests: redis-server and Celery workers (PHP runs: php_runner.py).

Plain classes with no pytest dependency; tests/conftest.py turns them into fixtures.
Every wait here polls for an event (a PING answer, a log line, a list element) under a
deadline; nothing sleeps for a guessed duration.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import redis

# redis-py 8 opens every connection with HELLO 3, which Redis before 6.0 refuses, and kombu 5.7
# has no setting for the protocol: every client in the test process (redis-py's, and the
# python_celery app's pools) asks for RESP2, which every Redis release knows.
_redis_init = redis.Redis.__init__
_pool_init = redis.ConnectionPool.__init__


def _resp2_redis(self: Any, *args: Any, protocol: int | None = None, **kwargs: Any) -> None:
    _redis_init(self, *args, protocol=protocol or 2, **kwargs)


def _resp2_pool(self: Any, *args: Any, **kwargs: Any) -> None:
    kwargs["protocol"] = kwargs.get("protocol") or 2
    _pool_init(self, *args, **kwargs)


redis.Redis.__init__ = _resp2_redis  # type: ignore[method-assign]
redis.ConnectionPool.__init__ = _resp2_pool  # type: ignore[method-assign]

REPO_ROOT = Path(__file__).resolve().parent.parent
RECORDS_KEY = "celerybridge:records"
POLL_INTERVAL = 0.05

# What `make matrix` varies (tests/matrix.py); by default the .venv's Celery on Debian's Redis.
# CELERYBRIDGE_WORKER_PYTHON: the interpreter of a venv holding another Celery release;
# CELERYBRIDGE_WORKER_POOL: the session worker's pool (kombu 5.2 and older need prefork: with
# solo they pick up a message ~10 s after the previous one); CELERYBRIDGE_REDIS_SERVER: the
# redis-server binary of another Redis release.
WORKER_PYTHON = os.environ.get("CELERYBRIDGE_WORKER_PYTHON") or sys.executable
WORKER_POOL = os.environ.get("CELERYBRIDGE_WORKER_POOL") or "solo"
REDIS_SERVER = os.environ.get("CELERYBRIDGE_REDIS_SERVER") or "redis-server"


class HarnessError(RuntimeError):
    """A process of the harness did not start or behave as expected."""


def received_log(task: str, task_id: str) -> str:
    """The worker's log line for a task it received: "Task name[id] received" from Celery 5.1,
    "Received task: name[id]" before."""
    name, tid = re.escape(task), re.escape(task_id)
    return rf"(?:Task {name}\[{tid}\] received|Received task: {name}\[{tid}\])"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alive(pid: int) -> bool:
    """Whether a process `pid` exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


class RedisServer:
    """A redis-server on a free loopback port, with its data dir and log in `directory`.

    Persistence is off (`save ""`, `appendonly no`), so restart() gives an empty server
    on the same port.
    """

    def __init__(
        self,
        directory: Path,
        *,
        args: Iterable[str] = (),
        config: Iterable[str] = (),
        password: str | None = None,
        port: int | None = None,
        executable: str = REDIS_SERVER,
    ) -> None:
        self.directory = directory
        self.args = list(args)
        self.config = list(config)
        self.password = password
        self.executable = executable
        self._port = port
        self._fixed_port = port is not None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise HarnessError("redis-server has not been started yet.")
        return self._port

    @property
    def log_path(self) -> Path:
        return self.directory / "redis.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def url(self, db: int = 0) -> str:
        """A Celery/kombu broker URL for database `db` (password included when set)."""
        auth = f":{quote(self.password, safe='')}@" if self.password is not None else ""
        return f"redis://{auth}127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0, **kwargs: Any) -> redis.Redis:
        """A redis-py client on database `db`; bytes responses unless decode_responses=True."""
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, password=self.password, **kwargs)

    @contextmanager
    def flushed(self, db: int) -> Iterator[redis.Redis]:
        """A client on database `db`, emptied before the block and after it, then closed."""
        client = self.client(db)
        client.flushdb()
        try:
            yield client
        finally:
            client.flushdb()
            client.close()

    # What a publish (message, chord counter, result) could write. An idle worker sends none of
    # them (kombu's restore_visible lock uses SET NX and EVALSHA, which are left out).
    PUBLISH_WRITES = ("lpush", "rpush", "publish", "setex", "incr", "incrby", "zadd", "hset", "sadd", "exec")

    def publish_write_calls(self) -> int:
        """How many publish-like writes the server has run so far (INFO commandstats)."""
        stats = self.client().info("commandstats")
        return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in self.PUBLISH_WRITES)

    def log_text(self) -> str:
        return _read(self.log_path)

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start the server and wait until it answers PING; retries once on a port race."""
        self.directory.mkdir(parents=True, exist_ok=True)
        attempts = 1 if self._fixed_port else 3
        for attempt in range(attempts):
            if not self._fixed_port:
                self._port = free_port()
            try:
                self._spawn(timeout)
                return self
            except HarnessError:
                self.stop()
                if attempt == attempts - 1:
                    raise
        return self

    def _spawn(self, timeout: float) -> None:
        conf = self.directory / "redis.conf"
        lines = [
            f"port {self.port}",
            "bind 127.0.0.1",
            'save ""',
            "appendonly no",
            f"dir {self.directory}",
            f"logfile {self.log_path}",
            "daemonize no",
        ]
        if self.password is not None:
            lines.append(f"requirepass {self.password}")
        conf.write_text("\n".join([*lines, *self.config]) + "\n")
        self._process = subprocess.Popen(
            [self.executable, str(conf), *self.args],
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        client = self.client(socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            while True:
                if self._process.poll() is not None:
                    raise HarnessError(
                        f"redis-server exited with {self._process.returncode}:\n{_tail(self.log_text())}"
                    )
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    raise HarnessError(f"redis-server did not answer PING in {timeout}s:\n{self.log_text()}")
                time.sleep(POLL_INTERVAL)
        finally:
            client.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server: SIGTERM, then SIGKILL if it has not exited within `timeout`."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)

    def restart(self, timeout: float = 10.0) -> RedisServer:
        """Stop and start again on the same port (empty data: persistence is off)."""
        self.stop()
        self._spawn(timeout)
        return self

    @contextmanager
    def paused(self) -> Iterator[None]:
        """SIGSTOP for the block, SIGCONT after: a stalled server. The kernel still completes TCP
        handshakes (up to the listen backlog), so clients connect and then get no answer."""
        if self._process is None:
            raise HarnessError("redis-server is not running.")
        os.kill(self._process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self._process.pid, signal.SIGCONT)


_worker_ids = itertools.count(1)


class CeleryWorker:
    """A `celery -A python_worker worker` subprocess in its own process group.

    Configured the way python_worker reads it: CELERY_BROKER_URL, CELERY_RESULT_BACKEND and
    CELERY_CONFIG_JSON. stdout and stderr both go to `log_path`.
    """

    def __init__(
        self,
        log_path: Path,
        *,
        broker_url: str,
        backend_url: str | None = None,
        config: Mapping[str, Any] | None = None,
        queues: Iterable[str] = ("celery",),
        pool: str = WORKER_POOL,
        concurrency: int = 1,
        hostname: str | None = None,
        prefetch_multiplier: int | None = None,
        loglevel: str = "INFO",
        extra_args: Iterable[str] = (),
        env: Mapping[str, str | None] | None = None,
    ) -> None:
        self.log_path = log_path
        self.broker_url = broker_url
        self.backend_url = backend_url
        self.config = dict(config or {})
        if prefetch_multiplier is not None:
            self.config["worker_prefetch_multiplier"] = prefetch_multiplier
        self.queues = list(queues)
        self.pool = pool
        self.concurrency = concurrency
        self.hostname = hostname or f"worker{next(_worker_ids)}@%h"
        self.loglevel = loglevel
        self.extra_args = list(extra_args)
        self.extra_env = dict(env or {})
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def command(self) -> list[str]:
        return [
            WORKER_PYTHON,
            "-m",
            "celery",
            "-A",
            "python_worker",
            "worker",
            "--loglevel",
            self.loglevel,
            "--pool",
            self.pool,
            "--concurrency",
            str(self.concurrency),
            "--hostname",
            self.hostname,
            "--queues",
            ",".join(self.queues),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *self.extra_args,
        ]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        wanted: dict[str, str | None] = {
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_RESULT_BACKEND": self.backend_url,
            "CELERY_CONFIG_JSON": json.dumps(self.config) if self.config else None,
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        for key, value in wanted.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def start(self, timeout: float = 30.0) -> CeleryWorker:
        """Start the worker and wait for its "ready." log line."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.command(),
                cwd=REPO_ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_for_log(r"\bready\.", timeout)
        return self

    def log_text(self) -> str:
        return _read(self.log_path)

    def mark(self) -> int:
        """Current end of the log; pass it as `since=` to wait only for lines written after now."""
        return len(self.log_text())

    def wait_for_log(self, pattern: str, timeout: float = 10.0, since: int = 0) -> re.Match[str]:
        """Wait until `pattern` (a regex, MULTILINE) appears in the log after offset `since`."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_text()
            match = regex.search(text, since)
            if match:
                return match
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                raise HarnessError(
                    f"celery worker exited ({code}) before logging /{pattern}/:\n{_tail(text[since:])}"
                )
            if time.monotonic() > deadline:
                raise HarnessError(
                    f"celery worker did not log /{pattern}/ in {timeout}s:\n{_tail(text[since:])}"
                )
            time.sleep(POLL_INTERVAL)

    def stop(self, timeout: float = 20.0) -> int | None:
        """Warm shutdown (SIGTERM: finish running tasks, restore prefetched ones) and wait."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.kill()
        return process.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group (prefork children included) and reap the main process."""
        process = self._process
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def generator_output(tool: str) -> str:
    """What tests/tools/`tool` prints, run with this Python: a generator whose output is a
    committed file, which the test compares with it."""
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "tests" / "tools" / tool)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def gate_key() -> str:
    """A fresh gate: a gated task (python_worker) waits until the test pushes to this list."""
    return f"celerybridge:gate:{uuid.uuid4()}"


def whole_seconds(timeout: float) -> int:
    """A BLPOP timeout Redis before 6.0 accepts: whole seconds, and never 0 (which means forever)."""
    return max(1, math.ceil(timeout))


class MadeKeys:
    """A client on one database and the keys a test stored through it: `deleted()` removes them
    when the test ends."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.keys: list[str] = []

    def store(self, key: str, value: bytes | None = None) -> None:
        """Note `key` for deletion, and SET it to `value` when one is given."""
        self.keys.append(key)
        if value is not None:
            self.client.set(key, value)

    @classmethod
    @contextmanager
    def deleted(cls, client: redis.Redis) -> Iterator[Any]:
        """An instance (of the subclass it is called on), whose keys are deleted after the block."""
        made = cls(client)
        try:
            yield made
        finally:
            if made.keys:
                client.delete(*made.keys)


class Records:
    """The `celerybridge:records` list that tasks.record RPUSHes to (one JSON object each)."""

    def __init__(self, client: redis.Redis, key: str = RECORDS_KEY) -> None:
        self.client = client
        self.key = key

    def pop(self, timeout: float = 10.0) -> dict[str, Any]:
        """BLPOP the oldest record, waiting up to `timeout` seconds for one to arrive."""
        item = self.client.blpop([self.key], timeout=whole_seconds(timeout))
        if item is None:
            raise HarnessError(f"no record arrived on {self.key!r} within {timeout}s")
        return json.loads(item[1])

    def pop_many(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """BLPOP `count` records in arrival order; `timeout` bounds the whole wait."""
        deadline = time.monotonic() + timeout
        found: list[dict[str, Any]] = []
        while len(found) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError(f"only {len(found)} of {count} records arrived within {timeout}s: {found}")
            item = self.client.blpop([self.key], timeout=whole_seconds(left))
            if item is not None:
                found.append(json.loads(item[1]))
        return found

    def pending(self) -> list[dict[str, Any]]:
        """Records waiting in the list now, without removing them."""
        return [json.loads(item) for item in self.client.lrange(self.key, 0, -1)]

    def clear(self) -> None:
        self.client.delete(self.key)


@contextmanager
def server_with_worker(
    server: RedisServer, worker_log: Path, broker_db: int, backend_db: int, **worker_options: Any
) -> Iterator[CeleryWorker]:
    """Start `server` and a worker on those databases of it; stop both at the end.

    If either fails to start, both are stopped (the worker killed) and the HarnessError goes on.
    """
    worker: CeleryWorker | None = None
    started = False
    try:
        server.start()
        worker = CeleryWorker(
            worker_log, broker_url=server.url(broker_db), backend_url=server.url(backend_db), **worker_options
        )
        worker.start()
        started = True
        yield worker
    finally:
        if worker is not None:
            worker.stop() if started else worker.kill()
        server.stop()
