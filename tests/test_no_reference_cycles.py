"""A client forms no reference cycle (issue 26 item 3): dropped, it is freed at once, so its
sockets close (or, persistent, go back to phpredis' pool) without PHP's cycle collector. With
the collector off, 10,000 clients that each published once (broker and result backend both
configured) leave at most one connection open on a redis-server of their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import RedisServer

QUEUE = "no-cycles"

# The connections are counted from inside the process while it still runs (its own counting
# connection excluded), after the last client was dropped.
CLIENTS = r"""
if (getenv('CLIENT') === 'predis') {
    require_once 'Predis/Autoloader.php';
    Predis\Autoloader::register();
}
gc_disable();
$config = ['task_default_queue' => 'QUEUE', 'redis_client' => getenv('CLIENT'),
    'redis_persistent' => getenv('PERSISTENT') === '1'];
for ($i = 0; $i < 10000; $i++) {
    $celery = new CeleryClient($brokerUrl, $backendUrl, config: $config);
    $celery->sendTask('tasks.add', [$i, 1]);
    unset($celery);
}
try {
    $count = new Redis();
    $count->connect('127.0.0.1', (int) getenv('REDIS_PORT'));
    $listed = $count->client('list');
    // Leaked connections fill the server up to maxclients: then it refuses this one.
    $open = is_array($listed) ? count($listed) - 1 : (string) $count->getLastError();
} catch (RedisException $e) {
    $open = $e->getMessage();
}
echo json_encode(['open' => $open, 'collected' => gc_status()['runs']]);
""".replace("QUEUE", QUEUE)


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis-no-cycles")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("client", "persistent"),
    [("phpredis", False), ("predis", False), ("phpredis", True)],
    ids=["phpredis", "predis", "phpredis-persistent"],
)
def test_dropped_clients_free_their_connections_without_the_cycle_collector(
    run_php, own_redis: RedisServer, client: str, persistent: bool
) -> None:
    db = own_redis.client(0)
    try:
        seen = run_php(
            CLIENTS,
            env={
                "CELERY_BROKER_URL": own_redis.url(0),
                "CELERY_RESULT_BACKEND": own_redis.url(1),
                "CLIENT": client,
                "PERSISTENT": "1" if persistent else "0",
                "REDIS_PORT": str(own_redis.port),
            },
            timeout=600,
        ).json()
        assert db.llen(QUEUE) == 10000
    finally:
        db.delete(QUEUE)
        db.close()
    assert seen["collected"] == 0
    assert isinstance(seen["open"], int) and seen["open"] <= 1, seen
