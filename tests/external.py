"""Services the harness did not start: an existing Redis and an already running worker.

    CELERYBRIDGE_EXTERNAL_REDIS   redis://[:password@]host:port of a Redis the tests may write
                                  to: db 0 is the broker, db 1 the result backend (as on the
                                  session redis-server; a database in the URL is refused).
    CELERYBRIDGE_EXTERNAL_WORKER  "1" (or the worker's node name, e.g. celery@web1) when a
                                  `celery -A python_worker worker` already consumes queue
                                  "celery" on that Redis, accepting json, msgpack and yaml
                                  (SESSION_WORKER_CONFIG below) and started as the harness's
                                  session worker is: --pool solo --concurrency 1 (tests count on
                                  one task at a time) --without-gossip --without-mingle
                                  --without-heartbeat (tests watch what is published on the
                                  broker). Needs CELERYBRIDGE_EXTERNAL_REDIS.

With the Redis alone, the harness still starts its own session worker on it. With both, it
starts no server or worker at all: tests that start, restart, stop or read the log of one
are skipped, each with a reason naming what it needed (pytest -ra lists them). The
worker's Celery, kombu and redis-py releases are asked from the worker itself (inspect report).
"""

from __future__ import annotations

import re
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit

import pytest
import redis

from harness import HarnessError

REDIS_ENV = "CELERYBRIDGE_EXTERNAL_REDIS"
WORKER_ENV = "CELERYBRIDGE_EXTERNAL_WORKER"
# Extra Celery settings of the session worker, beyond Celery's defaults, which an external worker
# must have too. It accepts the msgpack and yaml serializers, so serializer tests need no worker
# of their own.
SESSION_WORKER_CONFIG: dict[str, Any] = {
    "accept_content": ["json", "msgpack", "yaml"],
}
# Every skip of external mode starts with this, so the summary shows where each one comes from.
SKIP_PREFIX = "external services"


def skip(needs: str) -> NoReturn:
    pytest.skip(f"{SKIP_PREFIX} ({REDIS_ENV}/{WORKER_ENV}): this test {needs}, which the harness "
                "does only with processes it started itself")


class ExternalRedis:
    """The session Redis when CELERYBRIDGE_EXTERNAL_REDIS names one: the same methods as
    harness.RedisServer, except that what needs the process (stop, restart, its log) skips."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "redis" or not parts.hostname:
            raise HarnessError(f'{REDIS_ENV}="{parts.scheme}://{parts.hostname or ""}..." is not a '
                               "redis://[:password@]host[:port] URL.")
        if parts.path not in ("", "/") or parts.query:
            raise HarnessError(f"{REDIS_ENV} names a database or options ({parts.path}{parts.query}): the "
                               "harness uses db 0 as the broker and db 1 as the result backend; give "
                               "redis://host:port only.")
        self.host = parts.hostname
        self._port = parts.port or 6379
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password is not None else None
        self._auth = parts.netloc.rpartition("@")[0]

    @property
    def port(self) -> int:
        return self._port

    @property
    def running(self) -> bool:
        return True

    def url(self, db: int = 0) -> str:
        auth = f"{self._auth}@" if self._auth else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"redis://{auth}{host}:{self.port}/{db}"

    def client(self, db: int = 0, **kwargs: Any) -> redis.Redis:
        return redis.Redis(host=self.host, port=self.port, db=db, username=self.user,
                           password=self.password, **kwargs)

    def start(self, timeout: float = 10.0) -> ExternalRedis:
        client = self.client(socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            client.ping()
        except redis.RedisError as error:
            raise HarnessError(f"{REDIS_ENV}: no PING answer from {self.host}:{self.port}: {error}") \
                from error
        finally:
            client.close()
        return self

    PUBLISH_WRITES = ("lpush", "rpush", "publish", "setex", "incr", "incrby", "zadd", "hset", "sadd", "exec")

    def publish_write_calls(self) -> int:
        stats = self.client().info("commandstats")
        return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in self.PUBLISH_WRITES)

    def log_text(self) -> str:
        skip("reads redis-server's log")

    def stop(self, timeout: float = 5.0) -> NoReturn:
        skip("stops redis-server")

    def restart(self, timeout: float = 10.0) -> NoReturn:
        skip("restarts redis-server")


class ExternalWorker:
    """The session worker when CELERYBRIDGE_EXTERNAL_WORKER is set: its node name, found by a
    remote-control ping; what needs the process (its log, pid, stop, kill) skips."""

    def __init__(self, hostname: str) -> None:
        self.hostname = hostname
        self.pid = None

    @property
    def running(self) -> bool:
        return True

    def log_text(self) -> str:
        # Also read for failure reports (conftest), so this one does not skip.
        return f"(external worker {self.hostname}: its log is where it runs, not here)"

    def mark(self) -> NoReturn:
        skip("waits for lines in the worker's log")

    def wait_for_log(self, *args: Any, **kwargs: Any) -> NoReturn:
        skip("waits for lines in the worker's log")

    def stop(self, timeout: float = 20.0) -> NoReturn:
        skip("stops the worker")

    def kill(self) -> NoReturn:
        skip("kills the worker")


def find_worker(app: Any, wanted: str, timeout: float = 10.0) -> str:
    """The node name of the running worker: `wanted` itself, or with "1" the one that answers a
    ping (exactly one must: two would share the queue, and tests could not tell them apart)."""
    destination = None if wanted == "1" else [wanted]
    replies: list[dict[str, Any]] = []
    # A few pings: a worker that is still connecting misses the first broadcast.
    for _ in range(max(1, int(timeout))):
        replies = app.control.ping(destination=destination, timeout=1.0) or []
        if replies:
            break
    names = sorted(name for reply in replies for name in reply)
    if not names:
        raise HarnessError(f"{WORKER_ENV}={wanted}: no worker answered a ping on {app.conf.broker_url!r} "
                           f"within {timeout}s: start it on that Redis (db 0) first.")
    if len(names) > 1:
        raise HarnessError(f"{WORKER_ENV}=1: {len(names)} workers answered ({', '.join(names)}); name the "
                           f"one to test in {WORKER_ENV}, and give the others another queue or Redis.")
    return names[0]


# "software -> celery:5.7.0 (codename) kombu:5.7.0 py:3.11.2\n billiard:4.2.1 redis:8.1.0"
SOFTWARE = re.compile(
    r"celery:(?P<celery>\S+).*?kombu:(?P<kombu>\S+)\s+py:(?P<python>\S+).*?redis:(?P<redis>\S+)", re.DOTALL
)


def reported_versions(app: Any, hostname: str, timeout: float = 5.0) -> dict[str, Any]:
    """The worker's own report (`celery inspect report`): its Celery, kombu, Python and
    redis-py releases, in the shape of versions.PROBE's output."""
    replies = app.control.inspect(destination=[hostname], timeout=timeout).report() or {}
    text = (replies.get(hostname) or {}).get("ok", "")
    match = SOFTWARE.search(text)
    if not match:
        raise HarnessError(f"{WORKER_ENV}: worker {hostname} sent no release report (inspect report): "
                           f"{text!r}")
    python = [int(part) for part in re.findall(r"\d+", match["python"])[:3]]
    return {"celery": match["celery"], "kombu": match["kombu"], "redis": match["redis"], "python": python}
