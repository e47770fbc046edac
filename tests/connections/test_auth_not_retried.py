"""A wrong password is not a network fault: a publish fails at once with AuthenticationFailed,
on one connection, with no retry and no retry warning in the log (it was retried like an
outage: 3 more connections, 3 warnings repeating WRONGPASS)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
import redis

from harness import RedisServer
from php_runner import PHP_SCRIPTS

PASSWORD = "right-pa55"

PHP_AUTH = (
    "require_once '/usr/share/php/Psr/Log/autoload.php';\n"
    + f"require {str(PHP_SCRIPTS / 'CollectedLogger.php')!r};\n"
    + r"""
if (!class_exists(\Predis\Client::class)) {
    require_once 'Predis/Autoloader.php';
    \Predis\Autoloader::register();
}

$logger = new CeleryBridge\Tests\Php\CollectedLogger();
$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$celery = new CeleryClient(getenv('CB_BROKER'), config: $config, logger: $logger);
$started = hrtime(true) / 1e9;
try {
    if (getenv('CB_WHAT') === 'sendMany') {
        $add = new CeleryBridge\Canvas\Signature('tasks.add');
        $celery->sendMany([$add, $add]);
    } else {
        $celery->sendTask('tasks.add', [1, 2]);
    }
    $out = ['class' => null];
} catch (CeleryBridge\Exception\CeleryBridgeException $e) {
    $out = ['class' => (new ReflectionClass($e))->getShortName(), 'message' => $e->getMessage()];
}
echo json_encode($out + ['seconds' => hrtime(true) / 1e9 - $started, 'records' => $logger->records]);
"""
)


def _connections(admin: redis.Redis) -> int:
    return int(admin.info("stats")["total_connections_received"])


@pytest.mark.parametrize("what", ["sendTask", "sendMany"])
@pytest.mark.parametrize("credentials,reply", [
    (":wrong-pa55@", "WRONGPASS"),
    ("nobody:wrong-pa55@", "WRONGPASS"),
    ("", "NOAUTH"),
])
def test_a_rejected_password_fails_at_once(
    credentials: str, reply: str, what: str, redis_client: str, redis_factory: Any, run_php: Any
) -> None:
    server: RedisServer = redis_factory(password=PASSWORD)
    admin = server.client()
    before = _connections(admin)
    out = run_php(PHP_AUTH, env={
        "CB_BROKER": f"redis://{credentials}127.0.0.1:{server.port}/0",
        "CB_CONFIG": json.dumps({"redis_client": redis_client}),
        "CB_WHAT": what,
    }).json()

    assert out["class"] == "AuthenticationFailed", out
    assert reply in out["message"]
    assert "Gave up" not in out["message"]
    assert PASSWORD not in out["message"] and quote(PASSWORD) not in out["message"]
    assert [r for r in out["records"] if r["level"] == "warning"] == []
    assert _connections(admin) - before == 1, "the publish connected more than once"
    assert out["seconds"] < 2.0
    assert server.client().llen("celery") == 0
