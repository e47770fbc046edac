"""Deadlines against a stalled Redis (SIGSTOP: connections are accepted, nothing is answered) and
timeouts at their edges. Every bound is generous (the machine is loaded); what they catch is a
wait of twice the timeout, or the socket timeout (10 s here) instead of the caller's.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from harness import CeleryWorker, RedisServer
from servers import wait_until

# Runs one call (CB_WHAT) and prints its outcome, how long it took and the CPU time it used.
PHP_TIMED_CALL = """
use CeleryBridge\\Canvas\\Chain;
use CeleryBridge\\Canvas\\Signature;

$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$client = new CeleryClient(getenv('CB_BROKER'), getenv('CB_BACKEND') ?: null, $config);
$timeout = match ($t = (string) getenv('CB_TIMEOUT')) {
    'INF' => INF, 'NAN' => NAN, 'PHP_FLOAT_MAX' => PHP_FLOAT_MAX, default => (float) $t,
};
if (getenv('CB_WARM')) {
    // A connection that has answered, so that what stalls next is the call itself.
    $chain = $client->send(new Chain(new Signature('tasks.add', [0, 0]), new Signature('tasks.add', [1])));
    if (getenv('CB_WHAT') === 'sendMany') {
        // Its queue key checked (LLEN, once per client), so that what stalls is the EXEC.
        $client->sendMany([new Signature('tasks.add', [0, 0]), new Signature('tasks.add', [0, 0])]);
    }
    await_go();
}
$cpu = static function (): float {
    $usage = getrusage();
    return $usage['ru_utime.tv_sec'] + $usage['ru_utime.tv_usec'] / 1e6
        + $usage['ru_stime.tv_sec'] + $usage['ru_stime.tv_usec'] / 1e6;
};
$started = hrtime(true) / 1e9;
$cpuStarted = $cpu();
try {
    $value = match (getenv('CB_WHAT')) {
        'get' => $client->result((string) getenv('CB_ID'))->get(timeout: $timeout),
        'send' => $client->sendTask('tasks.add', [1, 2])->id,
        'sendMany' => count($client->sendMany([new Signature('tasks.add'), new Signature('tasks.add')])),
        'ping' => $client->control()->ping(timeout: $timeout),
        'chain' => $chain->get(timeout: $timeout),
    };
    $outcome = ['outcome' => 'ok', 'value' => $value];
} catch (\\Throwable $e) {
    $class = (new \\ReflectionClass($e))->getShortName();
    $outcome = ['outcome' => 'error', 'class' => $class, 'message' => $e->getMessage()];
}
say($outcome + ['seconds' => hrtime(true) / 1e9 - $started, 'cpu' => $cpu() - $cpuStarted]);
"""

# Socket timeouts far above the call's own timeout: a call that waits for them is caught.
SLOW_SOCKETS = {"broker_transport_options": {"socket_timeout": 10.0}, "redis_socket_timeout": 10.0}


def _timed(php_session: Any, env: dict[str, str], stall: RedisServer | None = None) -> dict[str, Any]:
    """Runs PHP_TIMED_CALL; with `stall`, the call runs while that server is paused."""
    session = php_session(PHP_TIMED_CALL, env)
    if env.get("CB_WARM"):
        session.wait_for_go()
    if stall is None:
        if env.get("CB_WARM"):
            session.go()
        outcome = session.read(60)
    else:
        with stall.paused():
            if env.get("CB_WARM"):
                session.go()
            outcome = session.read(60)
    session.finish()
    return outcome


def _config(client: str, **extra: Any) -> str:
    return json.dumps({"redis_client": client, **SLOW_SOCKETS, **extra})


def _store_success(server: RedisServer, db: int, task_id: str, value: Any) -> None:
    """What Celery's Redis backend stores for a task that returned `value`."""
    meta = {"status": "SUCCESS", "result": value, "traceback": None, "children": [],
            "date_done": "2026-01-01T00:00:00.000000+00:00", "task_id": task_id}
    server.client(db).set(f"celery-task-meta-{task_id}", json.dumps(meta))


def test_get_on_a_pending_task_ends_in_time_when_the_broker_stalls(
    redis_client: str, redis_factory: Any, php_session: Any
) -> None:
    """get(timeout: 2) on a PENDING task: the result wait, then a look at the broker queue (LLEN)
    to explain the PENDING. The broker stalls: the look must not outlast the timeout (it took
    the socket timeout before: 12 s, 22 s with phpredis)."""
    broker, backend = redis_factory(), redis_factory()
    outcome = _timed(php_session, {
        "CB_BROKER": broker.url(0), "CB_BACKEND": backend.url(1), "CB_CONFIG": _config(redis_client),
        "CB_WHAT": "get", "CB_ID": str(uuid.uuid4()), "CB_TIMEOUT": "2",
    }, stall=broker)
    assert outcome["class"] == "ResultTimeout", outcome
    assert "No result after 2 s" in outcome["message"]
    assert 1.9 <= outcome["seconds"] < 3.5, outcome


@pytest.mark.parametrize("persistent", [False, True], ids=["connect", "pconnect"])
@pytest.mark.parametrize("what", ["get", "send", "sendMany"])
def test_a_stalled_server_with_a_password_costs_the_timeout_once(
    what: str, persistent: bool, redis_client: str, redis_factory: Any, php_session: Any
) -> None:
    """The server accepts the connection and never answers AUTH. get(timeout: 3), and a publish
    with task_publish_timeout 3, end after about 3 s (phpredis took 6: closing the broken
    client made phpredis connect and send AUTH again)."""
    server = redis_factory(password="s3cret")
    outcome = _timed(php_session, {
        "CB_BROKER": server.url(0), "CB_BACKEND": server.url(1),
        "CB_CONFIG": _config(redis_client, task_publish_timeout=3.0, redis_persistent=persistent),
        "CB_WHAT": what, "CB_ID": str(uuid.uuid4()), "CB_TIMEOUT": "3",
    }, stall=server)
    assert outcome["outcome"] == "error", outcome
    assert "AUTH" in outcome["message"]
    assert 2.8 <= outcome["seconds"] < 5, outcome


def test_send_many_on_a_stalled_connection_costs_the_timeout_once(
    redis_client: str, redis_factory: Any, php_session: Any
) -> None:
    """An open connection, then the server stalls, then sendMany() with task_publish_timeout 3:
    PublishOutcomeUnknown after about 3 s (phpredis waited twice for its pipelined replies)."""
    server = redis_factory()
    outcome = _timed(php_session, {
        "CB_BROKER": server.url(0),
        "CB_CONFIG": _config(redis_client, task_publish_timeout=3.0,
                             broker_transport_options={"socket_timeout": 10.0, "health_check_interval": 25}),
        "CB_WHAT": "sendMany", "CB_TIMEOUT": "3", "CB_WARM": "1",
    }, stall=server)
    assert outcome["class"] == "PublishOutcomeUnknown", outcome
    assert 2.8 <= outcome["seconds"] < 5, outcome


@pytest.mark.parametrize("warm", [False, True], ids=["new connection", "open connection"])
def test_ping_obeys_its_timeout_on_a_stalled_broker(
    warm: bool, redis_client: str, redis_factory: Any, php_session: Any
) -> None:
    """control()->ping(timeout: 1) while the broker stalls: an error after about 1 s (the reply
    binding's transaction waited for the socket timeout, twice: 20 s)."""
    server = redis_factory()
    outcome = _timed(php_session, {
        "CB_BROKER": server.url(0), "CB_CONFIG": _config(redis_client),
        "CB_WHAT": "ping", "CB_TIMEOUT": "1", **({"CB_WARM": "1"} if warm else {}),
    }, stall=server)
    assert outcome["outcome"] == "error", outcome
    assert 0.9 <= outcome["seconds"] < 2.5, outcome


def test_ping_waits_its_timeout_to_the_fraction(
    redis_client: str, redis_factory: Any, php_session: Any
) -> None:
    """No worker: ping(timeout: 0.5) collects for half a second, not a whole one (BRPOP was
    given whole seconds)."""
    server = redis_factory()
    outcome = _timed(php_session, {
        "CB_BROKER": server.url(0), "CB_CONFIG": _config(redis_client),
        "CB_WHAT": "ping", "CB_TIMEOUT": "0.5",
    })
    assert outcome["outcome"] == "ok", outcome
    assert outcome["value"] == []
    # Less the clean-up's tenth and the 0.11 s a late BRPOP answer may take (ReplyQueue::LATE).
    assert 0.3 <= outcome["seconds"] < 0.9, outcome


def test_ping_with_a_short_socket_timeout_hears_the_worker(
    redis_client: str, redis_server: RedisServer, worker: CeleryWorker, php_session: Any
) -> None:
    """broker_transport_options socket_timeout 0.5 s, a worker up: ping(timeout: 2) returns its
    pong (the BRPOP's socket waited less than the BRPOP: ConnectionLost, the reply lost)."""
    outcome = _timed(php_session, {
        "CB_BROKER": redis_server.url(0),
        "CB_CONFIG": json.dumps({
            "redis_client": redis_client, "broker_transport_options": {"socket_timeout": 0.5},
        }),
        "CB_WHAT": "ping", "CB_TIMEOUT": "2",
    })
    assert outcome["outcome"] == "ok", outcome
    assert {"ok": "pong"} in outcome["value"].values(), outcome


@pytest.mark.parametrize("timeout", ["0", "INF", "1e300", "PHP_FLOAT_MAX", "9.3e18"])
def test_a_stored_result_is_read_whatever_the_timeout(
    timeout: str, redis_client: str, redis_factory: Any, php_session: Any
) -> None:
    """get(timeout: 0) reads the stored result once and returns it (it threw ConnectionTimedOut);
    INF and finite timeouts too large for any clock wait without limit (9.3e18 threw a
    ValueError)."""
    server = redis_factory()
    task_id = str(uuid.uuid4())
    _store_success(server, 1, task_id, 42)
    outcome = _timed(php_session, {
        "CB_BROKER": server.url(0), "CB_BACKEND": server.url(1), "CB_CONFIG": _config(redis_client),
        "CB_WHAT": "get", "CB_ID": task_id, "CB_TIMEOUT": timeout,
    })
    assert outcome == {**outcome, "outcome": "ok", "value": 42}, outcome


@pytest.mark.parametrize(
    "timeout,expected", [("0", "ResultTimeout"), ("-1", "InvalidTimeout"), ("NAN", "InvalidTimeout")]
)
def test_no_stored_result_with_timeout_zero_or_a_bad_timeout(
    timeout: str, expected: str, redis_client: str, redis_factory: Any, php_session: Any
) -> None:
    """get(timeout: 0) without a stored result: ResultTimeout, not a connection error.
    Negative and NAN timeouts are refused."""
    server = redis_factory()
    outcome = _timed(php_session, {
        "CB_BROKER": server.url(0), "CB_BACKEND": server.url(1), "CB_CONFIG": _config(redis_client),
        "CB_WHAT": "get", "CB_ID": str(uuid.uuid4()), "CB_TIMEOUT": timeout,
    })
    assert outcome["class"] == expected, outcome
    assert outcome["seconds"] < 1.5, outcome


@pytest.mark.parametrize("timeout", ["INF", "PHP_FLOAT_MAX", "9.3e18"])
def test_an_unlimited_wait_sleeps(
    timeout: str, redis_client: str, redis_factory: Any, php_session: Any
) -> None:
    """get(timeout: INF) on a task whose result comes 1.5 s later: PHP sleeps meanwhile (it spun
    at 100% CPU: the time left was cast to 0 seconds)."""
    server = redis_factory()
    task_id = str(uuid.uuid4())
    session = php_session(PHP_TIMED_CALL, {
        "CB_BROKER": server.url(0), "CB_BACKEND": server.url(1), "CB_CONFIG": _config(redis_client),
        "CB_WHAT": "get", "CB_ID": task_id, "CB_TIMEOUT": timeout,
    })
    wait_until(lambda: any(c.get("sub") == "1" for c in server.client().client_list()), 30.0,
               "PHP to subscribe to the result channel")
    # The span PHP must spend waiting, not a stand-in for an event: its CPU time over it is measured.
    time.sleep(1.5)
    _store_success(server, 1, task_id, 7)
    key = f"celery-task-meta-{task_id}"
    server.client(1).publish(key, server.client(1).get(key))
    outcome = session.read(30)
    session.finish()
    assert outcome["value"] == 7, outcome
    assert outcome["seconds"] >= 1.4
    # A sleeping wait uses milliseconds of CPU; a spinning one, even with a small share of a
    # loaded machine, uses far more over 1.5 s.
    assert outcome["cpu"] < 0.15, outcome


def test_a_started_task_is_waited_for_the_whole_timeout(
    redis_client: str, redis_factory: Any, php_session: Any
) -> None:
    """Only a PENDING timeout keeps time for a look at the queue: a STARTED task is waited for
    until the timeout is up."""
    server = redis_factory()
    task_id = str(uuid.uuid4())
    meta = {"status": "STARTED", "result": {"pid": 1, "hostname": "w@h"}, "traceback": None,
            "children": [], "date_done": None, "task_id": task_id}
    server.client(1).set(f"celery-task-meta-{task_id}", json.dumps(meta))
    outcome = _timed(php_session, {
        "CB_BROKER": server.url(0), "CB_BACKEND": server.url(1), "CB_CONFIG": _config(redis_client),
        "CB_WHAT": "get", "CB_ID": task_id, "CB_TIMEOUT": "2",
    })
    assert outcome["class"] == "ResultTimeout", outcome
    assert "No result after 2 s" in outcome["message"] and "(STARTED)" in outcome["message"]
    assert 1.95 <= outcome["seconds"] < 3.5, outcome


def test_a_chain_step_get_ends_in_time_when_the_backend_stalls(
    redis_client: str, redis_factory: Any, php_session: Any
) -> None:
    """get(timeout: 2) on a chain's last step first reads its parents' states (a failed parent
    wins): on a stalled backend that read waited for the socket timeout (10 s)."""
    broker, backend = redis_factory(), redis_factory()
    outcome = _timed(php_session, {
        "CB_BROKER": broker.url(0), "CB_BACKEND": backend.url(1), "CB_CONFIG": _config(redis_client),
        "CB_WHAT": "chain", "CB_TIMEOUT": "2", "CB_WARM": "1",
    }, stall=backend)
    assert outcome["outcome"] == "error", outcome
    assert 1.9 <= outcome["seconds"] < 3.5, outcome
