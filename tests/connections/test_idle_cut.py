"""A broker connection the server closed while it sat idle (Redis `timeout`, CLIENT KILL; a load
balancer's or NAT's idle cut looks the same), then a MULTI/EXEC publish before the next health
check PING: what PHP reports must be what the queue holds. phpredis reconnects such a socket on
its own before writing, and then hands back EXEC's replies in another shape; reading that as
"refused" told callers to resend tasks that were queued.

No worker: the tasks stay in the queue, where the test counts them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from harness import RedisServer
from servers import wait_until

TASKS = 250  # sendMany(): a chunk of 200 and one of 50

PHP_CUT = """
use CeleryBridge\\Canvas\\Chord;
use CeleryBridge\\Canvas\\Group;
use CeleryBridge\\Canvas\\Signature;

$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$client = new CeleryClient(getenv('CB_BROKER'), getenv('CB_BROKER'), $config);
$client->sendTask('tasks.add', [0, 0]);
await_go();
$count = (int) getenv('CB_TASKS');
$tasks = array_map(static fn (int $i) => new Signature('tasks.add', [$i, 1]), range(1, $count));
try {
    $ids = match (getenv('CB_WHAT')) {
        'sendMany' => array_map(static fn ($r) => $r->id, $client->sendMany($tasks)),
        'group' => $client->send(new Group(...$tasks))->ids(),
        'chord' => [$client->send(new Chord(new Group(...$tasks), new Signature('tasks.xsum')))->id],
    };
    say(['outcome' => 'ok', 'ids' => $ids]);
} catch (\\CeleryBridge\\Exception\\ConnectionFailed $e) {
    say([
        'outcome' => $e instanceof \\CeleryBridge\\Exception\\PublishOutcomeUnknown ? 'unknown' : 'failed',
        'class' => (new \\ReflectionClass($e))->getShortName(),
        'message' => $e->getMessage(),
        'not_queued' => $e->taskIds(),
        'uncertain' => $e->uncertainTaskIds(),
        'queued' => $e->queuedTaskIds(),
    ]);
}
"""


@pytest.fixture(scope="module")
def idle_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A Redis that closes connections idle for 1 s (`timeout 1`)."""
    server = RedisServer(tmp_path_factory.mktemp("idle"), config=["timeout 1"])
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _clients_named(server: RedisServer, name: str) -> list[dict[str, Any]]:
    return [c for c in server.client().client_list() if c.get("name") == name]


def _queued_ids(server: RedisServer) -> list[str]:
    """The task ids of the messages in the default queue."""
    return [json.loads(raw)["headers"]["id"] for raw in server.client().lrange("celery", 0, -1)]


@pytest.mark.parametrize("what", ["sendMany", "group", "chord"])
@pytest.mark.parametrize("cut", ["idle timeout", "CLIENT KILL"])
def test_a_transaction_after_an_idle_cut_reports_what_the_queue_holds(
    cut: str, what: str, redis_client: str, idle_redis: RedisServer, php_session: Any
) -> None:
    """The server closes the connection, then sendMany(250) / send(Group) / send(Chord) comes
    before the health check (health_check_interval 25): every task reported queued is in the
    queue, and none reported "not queued" is. Before the fix, phpredis reported all 250 "not
    queued" while the queue held them (200 of them for sendMany: the first chunk)."""
    name = f"cut-{uuid.uuid4().hex[:8]}"
    config = {
        "redis_client": redis_client,
        "broker_transport_options": {"health_check_interval": 25, "client_name": name},
    }
    session = php_session(PHP_CUT, {
        "CB_BROKER": idle_redis.url(0),
        "CB_CONFIG": json.dumps(config),
        "CB_WHAT": what,
        "CB_TASKS": str(TASKS),
    })
    session.wait_for_go()
    admin = idle_redis.client()
    admin.delete("celery")
    assert _clients_named(idle_redis, name), "PHP's broker connection is not open"
    if cut == "CLIENT KILL":
        for connection in _clients_named(idle_redis, name):
            admin.client_kill_filter(_id=connection["id"])
    wait_until(lambda: not _clients_named(idle_redis, name), 30.0, "the server to close PHP's connection")
    session.go()
    report = session.read()
    session.finish()
    held = _queued_ids(idle_redis)
    admin.delete("celery")

    if report["outcome"] == "ok":
        assert len(held) == TASKS, report
        assert len(set(held)) == TASKS
        if what != "chord":
            assert sorted(report["ids"]) == sorted(held)
    else:
        # Whatever the outcome, nothing reported "not queued" may be in the queue.
        certain_not = set(report["not_queued"]) - set(report["uncertain"])
        wrong = certain_not & set(held)
        assert not wrong, f"{len(wrong)} tasks reported not queued are queued: {report['message'][:300]}"
        assert set(report["queued"]) <= set(held)
    # The socket was closed before the publish, so the writes all went out on a new one.
    assert report["outcome"] == "ok", report
