"""Faults: Redis stopped mid-stream and restarted, connections cut around LPUSH, servers that
never answer, a full server. Every publish outcome PHP reports is checked against what the
worker actually ran: "ok" ran exactly once, "failed" never ran, "unknown" ran at most once,
and nothing ran twice.

The counts asserted here are the ones in the connection layer's documentation:
sent = attempts, reported = outcome PHP returned, delivered = tasks the worker ran.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from faults import FaultProxy, FullBacklogServer, HangUpPort, SilentServer
from harness import CeleryWorker, Records, RedisServer
from lifecycle import running
from servers import wait_until

# Publishes CB_PHASES[i] tasks per phase, waiting for "go" between phases; one line per attempt.
PHP_STREAM = """
$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$client = new CeleryClient(getenv('CB_BROKER'), null, $config);
$phases = json_decode((string) getenv('CB_PHASES'), true, 512, JSON_THROW_ON_ERROR);
$n = 0;
foreach ($phases as $index => $count) {
    if ($index > 0) {
        await_go();
    }
    for ($k = 0; $k < $count; $k++) {
        $n++;
        say(attempt($client, getenv('CB_RUN') . '-' . $n));
    }
}
say(['done' => $n]);
"""


@pytest.fixture(scope="module")
def durable_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A Redis that fsyncs every write to its AOF: a stop and restart loses no acknowledged write."""
    server = RedisServer(tmp_path_factory.mktemp("durable"), config=["appendonly yes", "appendfsync always"])
    with running(server.start, server.stop):
        yield server


@pytest.fixture(scope="module")
def durable_worker(
    durable_redis: RedisServer, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryWorker]:
    """A worker on durable_redis that reconnects after restarts; records go to the session Redis."""
    worker = CeleryWorker(
        tmp_path_factory.mktemp("durable-worker") / "worker.log",
        broker_url=durable_redis.url(0),
        env={"CELERY_BRIDGE_RECORDS_URL": redis_server.url(0)},
        hostname="durable@%h",
    ).start(45.0)
    try:
        yield worker
    finally:
        worker.stop()


def _outcomes(lines: list[dict[str, Any]]) -> Counter[str]:
    return Counter(line["outcome"] for line in lines)


def _read_phase(session: Any, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    return [session.read(timeout) for _ in range(count)]


def _delivered(records: Records, count: int, timeout: float = 60.0) -> Counter[str]:
    return Counter(record["args"][0] for record in records.pop_many(count, timeout))


@dataclass(frozen=True)
class DurableStream:
    """PHP_STREAM publishing to durable_redis, whose worker records what it ran."""

    redis: RedisServer
    records: Records
    php_session: Any

    def start_then_stop(
        self, config: dict[str, Any], phases: str, run: str
    ) -> tuple[Any, list[dict[str, Any]], Counter[str]]:
        """Starts the stream, reads its first phase of 20 publishes and what the worker ran of
        them, then stops Redis while the script waits for go: the session, lines, deliveries."""
        session = self.php_session(PHP_STREAM, {
            "CB_BROKER": self.redis.url(0),
            "CB_CONFIG": json.dumps(config),
            "CB_PHASES": phases,
            "CB_RUN": run,
        })
        lines = _read_phase(session, 20)
        delivered = self.delivered(20)
        session.wait_for_go()
        self.redis.stop()
        return session, lines, delivered

    def delivered(self, count: int) -> Counter[str]:
        return _delivered(self.records, count)


@pytest.fixture
def durable_stream(
    durable_redis: RedisServer, durable_worker: CeleryWorker, php_session: Any, records: Records
) -> DurableStream:
    """A DurableStream on durable_redis, with durable_worker running."""
    return DurableStream(durable_redis, records, php_session)


@pytest.mark.parametrize("check", ["ping every publish", "default check"])
def test_redis_stopped_mid_stream_fails_clearly_and_loses_nothing(
    check: str, redis_client: str, durable_stream: DurableStream
) -> None:
    """20 publishes, Redis stopped, 5 publishes (Celery's default retry policy gives up on each
    after ~0.6 s: ConnectionRefused, nothing queued), Redis restarted, 15 publishes.

    With health_check_interval 0 every publish starts with PING, so all five are known not to
    be queued. With the default (PING after 1 s of quiet) the first publish after the stop may
    go out without PING and end as "unknown" - and, Redis being down, it was not queued."""
    run = f"down-{redis_client}-{check.split()[0]}"
    config: dict[str, Any] = {"redis_client": redis_client}
    if check == "ping every publish":
        config["broker_transport_options"] = {"health_check_interval": 0}
    durable_redis, records = durable_stream.redis, durable_stream.records
    session, before, delivered = durable_stream.start_then_stop(config, "[20, 5, 15]", run)
    session.go()
    during = _read_phase(session, 5)
    session.wait_for_go()
    durable_redis.restart()
    session.go()
    after = _read_phase(session, 15)
    assert session.read() == {"done": 40}
    session.finish()
    delivered += durable_stream.delivered(15)

    assert _outcomes(before) == {"ok": 20}
    first = during[0]
    if check == "default check" and first["outcome"] == "unknown":
        assert first["class"] == "PublishOutcomeUnknown"
        during = during[1:]
    assert _outcomes(during) == {"failed": len(during)}, during
    assert {line["class"] for line in during} == {"ConnectionRefused"}
    assert all("Gave up after 4 attempts" in line["message"] for line in during)
    # Celery's retry delays: 0 + 0.2 + 0.4 s before giving up.
    assert all(line["seconds"] >= 0.55 for line in during), during
    assert _outcomes(after) == {"ok": 15}
    ok = {line["marker"] for line in before + after}
    assert set(delivered) == ok and max(delivered.values()) == 1
    assert durable_redis.client(0).llen("celery") == 0
    assert records.pending() == []
    unknown = 5 - len(during)
    _report(f"stop/restart, default retry, {check}", redis_client, sent=40, ok=35, failed=len(during),
            unknown=unknown, delivered=sum(delivered.values()))


def test_retries_bridge_a_restart(redis_client: str, durable_stream: DurableStream) -> None:
    """With a longer retry policy, a publish that starts while Redis is down waits for it: the
    test watches PHP's reconnect attempts arrive (a port that hangs up) before restarting.
    health_check_interval 0 makes every publish start with PING, so that even the first one
    after the stop fails before its LPUSH is written, and may be retried."""
    run = f"bridge-{redis_client}"
    policy = {"max_retries": 200, "interval_start": 0.05, "interval_step": 0.05, "interval_max": 0.2}
    config = {
        "redis_client": redis_client,
        "task_publish_retry_policy": policy,
        "broker_transport_options": {"health_check_interval": 0},
    }
    durable_redis, records = durable_stream.redis, durable_stream.records
    session, lines, delivered = durable_stream.start_then_stop(config, "[20, 20]", run)
    hang_up = HangUpPort(durable_redis.port)
    try:
        session.go()
        wait_until(lambda: hang_up.connections >= 3, 30, "PHP to retry three times")
        attempts_while_down = hang_up.connections
    finally:
        hang_up.close()
    durable_redis.restart()
    lines += _read_phase(session, 20)
    assert session.read() == {"done": 40}
    session.finish()
    delivered += durable_stream.delivered(20)

    assert _outcomes(lines) == {"ok": 40}, [line for line in lines if line["outcome"] != "ok"]
    assert lines[20]["seconds"] > 0.1, "the first publish after the stop spanned the outage"
    assert set(delivered) == {line["marker"] for line in lines} and max(delivered.values()) == 1
    assert records.pending() == []
    _report(f"stop/restart, retries bridge it ({attempts_while_down}+ attempts while down)", redis_client,
            sent=40, ok=40, failed=0, unknown=0, delivered=sum(delivered.values()))


PHP_ONE_THEN_END = """
$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$client = new CeleryClient(getenv('CB_BROKER'), null, $config);
say(attempt($client, getenv('CB_RUN') . '-x'));
say(attempt($client, getenv('CB_RUN') . '-end'));
"""


@pytest.mark.parametrize(
    ("mode", "delivered_x"), [("drop_request", 0), ("drop_reply", 1), ("stall_reply", 1)]
)
def test_a_cut_after_lpush_is_reported_not_retried(
    mode: str,
    delivered_x: int,
    redis_client: str,
    redis_server: RedisServer,
    worker: CeleryWorker,
    php_session: Any,
    records: Records,
) -> None:
    """The connection breaks after LPUSH was written. Whether Redis ran it (drop_reply,
    stall_reply) or not (drop_request), PHP reports PublishOutcomeUnknown and never resends:
    the worker runs the task at most once."""
    proxy = FaultProxy(redis_server.port, mode)
    run = f"{mode}-{redis_client}"
    try:
        session = php_session(PHP_ONE_THEN_END, {
            "CB_BROKER": f"redis://127.0.0.1:{proxy.port}/0",
            "CB_CONFIG": json.dumps({
                "redis_client": redis_client,
                "broker_transport_options": {"socket_timeout": 1.0},
            }),
            "CB_RUN": run,
        })
        x = session.read()
        end = session.read()
        session.finish()
    finally:
        proxy.close()
    # The worker runs messages of one list in order: when "end" has run, so has x, if queued.
    seen: list[str] = []
    while f"{run}-end" not in seen:
        seen.append(records.pop(30)["args"][0])

    assert x["outcome"] == "unknown", x
    assert x["class"] == "PublishOutcomeUnknown"
    assert "may or may not have been queued" in x["message"]
    # The exception names the task it is unsure about, so the caller can look for it.
    assert len(x["task_ids"]) == 1 and x["canvas_id"] == x["task_ids"][0]
    assert f'Task id: "{x["task_ids"][0]}"' in x["message"]
    if mode == "stall_reply":
        assert "no reply to LPUSH within 1 s" in x["message"]
        assert 0.9 <= x["seconds"] < 5
    assert end["outcome"] == "ok"
    assert proxy.faults == 1
    assert proxy.lpushes == delivered_x + 1, "x was sent again"
    assert Counter(seen) == {f"{run}-end": 1, **({f"{run}-x": 1} if delivered_x else {})}
    assert records.pending() == []
    _report(f"connection cut: {mode}", redis_client, sent=2, ok=1, failed=0, unknown=1, delivered=len(seen))


PHP_TIMED = """
$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$client = new CeleryClient(getenv('CB_BROKER'), getenv('CB_BACKEND') ?: null, $config);
if (getenv('CB_READ_RESULT')) {
    $started = microtime(true);
    try {
        $client->result('00000000-0000-4000-8000-000000000000')->get(timeout: 10.0);
        say(['outcome' => 'ok']);
    } catch (\\CeleryBridge\\Exception\\ConnectionFailed $e) {
        say([
            'outcome' => 'failed',
            'class' => (new \\ReflectionClass($e))->getShortName(),
            'message' => $e->getMessage(),
            'seconds' => microtime(true) - $started,
        ]);
    }
} else {
    say(attempt($client, 'never'));
}
"""


@pytest.mark.parametrize(
    "case", ["never answers", "never answers, PING first", "never accepts", "result backend never answers"]
)
def test_timeouts_hold(case: str, redis_client: str, php_session: Any) -> None:
    """0.5 s timeouts, one retry: a publish that cannot connect, or whose PING gets no answer,
    gives up after ~1 s with ConnectionTimedOut; an LPUSH written on a fresh socket (no PING
    there, unless health_check_interval is 0) that gets no answer is PublishOutcomeUnknown after
    0.5 s, never retried; a result read gives up after 0.5 s. Nothing waits for PHP's 60 s."""
    server: SilentServer | FullBacklogServer
    server = FullBacklogServer() if case == "never accepts" else SilentServer()
    server.start()
    url = f"redis://127.0.0.1:{server.port}/0"
    config: dict[str, Any] = {
        "redis_client": redis_client,
        "broker_connection_timeout": 0.5,
        "broker_transport_options": {
            "socket_timeout": 0.5,
            "health_check_interval": 0 if case == "never answers, PING first" else 1,
        },
        "task_publish_retry_policy": {"max_retries": 1},
        "redis_socket_timeout": 0.5,
        "redis_socket_connect_timeout": 0.5,
    }
    env = {"CB_BROKER": url, "CB_CONFIG": json.dumps(config)}
    if case == "result backend never answers":
        env |= {"CB_BACKEND": url, "CB_READ_RESULT": "1"}
    try:
        session = php_session(PHP_TIMED, env)
        outcome = session.read(30)
        session.finish()
    finally:
        server.stop()

    if case == "never answers":
        assert (outcome["outcome"], outcome["class"]) == ("unknown", "PublishOutcomeUnknown"), outcome
        assert "no reply to LPUSH within 0.5 s" in outcome["message"]
        assert 0.45 <= outcome["seconds"] < 3
        return
    assert outcome["outcome"] == "failed", outcome
    if case == "result backend never answers":
        assert outcome["class"] == "ConnectionLost"
        assert "within 0.5 s" in outcome["message"]
        assert 0.45 <= outcome["seconds"] < 3
        return
    assert outcome["class"] == "ConnectionTimedOut"
    says = "no connection within 0.5 s" if case == "never accepts" else "did not answer PING within 0.5 s"
    assert says in outcome["message"]
    assert "Gave up after 2 attempts" in outcome["message"]
    assert 0.95 <= outcome["seconds"] < 4


def test_out_of_memory_is_reported_at_once(redis_client: str, redis_factory: Any, php_session: Any) -> None:
    """OOM (maxmemory reached, noeviction): the write did not happen; no retry helps."""
    server = redis_factory()
    server.client().config_set("maxmemory", "1")
    session = php_session(PHP_TIMED, {
        "CB_BROKER": server.url(0), "CB_CONFIG": json.dumps({"redis_client": redis_client}),
    })
    outcome = session.read()
    session.finish()

    assert outcome["outcome"] == "failed"
    assert outcome["class"] == "OutOfMemory"
    assert "maxmemory" in outcome["message"]
    assert outcome["seconds"] < 0.5, "OOM was retried"
    assert server.client().llen("celery") == 0


def _report(case: str, client: str, **counts: int) -> None:
    """Appends the counts as a JSON line to $CELERY_BRIDGE_FAULT_REPORT, when set."""
    target = os.environ.get("CELERY_BRIDGE_FAULT_REPORT")
    if target:
        with Path(target).open("a") as out:
            out.write(json.dumps({"case": case, "client": client, **counts}) + "\n")
