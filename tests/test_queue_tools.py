"""Queue tools from PHP (issue 4): waiting messages in a queue, and purging it.

Messages are published to a queue no worker reads, one per priority step, so they land in
every priority list. PHP's count must equal what kombu itself reports for the queue
(queue_declare's message_count), and PHP's purge must leave kombu nothing to count, for the
default transport options and for custom steps, separator and global_keyprefix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery

import databases
from harness import RedisServer
from php_runner import PHP_SCRIPTS, run_php_script

TOOLS_DB = databases.QUEUE_TOOLS
QUEUE = "tools"

# Client settings, the same for Celery and for the PHP client (passed as JSON).
CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "steps": {"broker_transport_options": {"priority_steps": list(range(10)), "sep": ":"}},
    "keyprefix": {"broker_transport_options": {"global_keyprefix": "pfx:"}},
}


@pytest.fixture
def db(redis_server: RedisServer) -> Iterator[redis.Redis]:
    with redis_server.flushed(TOOLS_DB) as client:
        yield client


def kombu_count(app: Celery, queue: str) -> int:
    """What kombu's Redis channel reports for the queue (it sums every priority list)."""
    with app.connection_for_write() as connection:
        return connection.default_channel.queue_declare(queue).message_count


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_queue_length_and_purge_agree_with_kombu(
    config: str, redis_server: RedisServer, db: redis.Redis, tmp_path: Path
) -> None:
    settings = CONFIGS[config]
    app = Celery("queue-tools", set_as_current=False)
    app.conf.update(broker_url=redis_server.url(TOOLS_DB), broker_connection_retry_on_startup=True)
    app.conf.update(settings)
    script = PHP_SCRIPTS / "queue_tools.php"
    env = {"CELERY_BROKER_URL": redis_server.url(TOOLS_DB), "CB_CONFIG": json.dumps(settings)}
    try:
        sent = run_php_script(script, env, timeout=30, args=["fill"])
        assert sent.returncode == 0 and sent.stderr == "", sent.describe()
        lists = [key.decode() for key in db.keys("*tools*") if db.type(key) == b"list"]

        assert sent.json() == [0, 9, 1]
        assert kombu_count(app, QUEUE) == 9
        assert len(lists) > 1  # the messages really are spread over several priority lists

        purged = run_php_script(script, env, timeout=30, args=["purge"])
        assert purged.returncode == 0 and purged.stderr == "", purged.describe()
        assert purged.json() == [9, 0]
        assert kombu_count(app, QUEUE) == 0
        assert kombu_count(app, "elsewhere") == 1  # only the named queue is purged
    finally:
        app.close()
