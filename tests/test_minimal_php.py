"""Issue 12: PHP with only what the library requires (`php -n` plus ext-mbstring and ext-ctype),
with no Redis client, phpredis only, or Predis only. Loading a class never needs an optional
dependency: without a usable client the library's own exception says what to install."""

from __future__ import annotations

import base64
import json

import pytest

import databases
from harness import RedisServer
from php_runner import PHP_SCRIPTS, run_php_script

REQUIRED = ["-n", "-d", "extension=mbstring", "-d", "extension=ctype"]
PHPREDIS = ["-d", "extension=igbinary", "-d", "extension=msgpack", "-d", "extension=redis"]

PREDIS_HINT = ["composer require predis/predis"]
CASES = [
    # case, extensions, environment, what the exception must say (None: the task is sent)
    ("no client", [], {}, ["No Redis client is available to connect to the broker: install", "ext-redis"]),
    ("no client, predis asked for", [], {"CB_CLIENT": "predis"}, PREDIS_HINT),
    ("phpredis only", PHPREDIS, {}, None),
    ("phpredis only, predis asked for", PHPREDIS, {"CB_CLIENT": "predis"}, PREDIS_HINT),
    ("predis only", [], {"CB_PREDIS": "1"}, None),
    ("predis only, phpredis asked for", [], {"CB_PREDIS": "1", "CB_CLIENT": "phpredis"}, ["ext-redis"]),
]


@pytest.mark.parametrize(("case", "extensions", "env", "says"), CASES, ids=[case[0] for case in CASES])
def test_required_extensions_only(
    case: str,
    extensions: list[str],
    env: dict[str, str],
    says: list[str] | None,
    redis_server: RedisServer,
    php_autoload,
    tmp_path,
) -> None:
    script = PHP_SCRIPTS / "minimal_send.php"
    result = run_php_script(script, {"CELERY_BROKER_URL": redis_server.url(databases.BROKER), **env}, 30,
                            php_args=[*REQUIRED, *extensions])

    assert result.returncode == 0 and "Fatal" not in result.stderr, result.describe()
    out = result.json()
    if says is None:
        assert "sent" in out, out
        broker = redis_server.client(databases.BROKER)
        assert json.loads(base64.b64decode(json.loads(broker.rpop("minimal"))["body"]))[0] == [1, 2]
    else:
        assert out["ours"] is True, out
        assert all(text in out["message"] for text in says), out["message"]
