"""Queue tools from PHP (issue 4): waiting messages in a queue, and purging it.

Messages are published to a queue no worker reads, one per priority step, so they land in
every priority list. PHP's count must equal what kombu itself reports for the queue
(queue_declare's message_count), and PHP's purge must leave kombu nothing to count, for the
default transport options and for custom steps, separator and global_keyprefix.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery

import databases
from harness import RedisServer
from php_runner import php_script, run_php_script

TOOLS_DB = databases.QUEUE_TOOLS
QUEUE = "tools"

CONFIGS: dict[str, tuple[dict[str, Any], str]] = {
    "default": ({}, "[]"),
    "steps": (
        {"broker_transport_options": {"priority_steps": list(range(10)), "sep": ":"}},
        "['broker_transport_options' => ['priority_steps' => range(0, 9), 'sep' => ':']]",
    ),
    "keyprefix": (
        {"broker_transport_options": {"global_keyprefix": "pfx:"}},
        "['broker_transport_options' => ['global_keyprefix' => 'pfx:']]",
    ),
}


@pytest.fixture
def db(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis_server.client(TOOLS_DB)
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def kombu_count(app: Celery, queue: str) -> int:
    """What kombu's Redis channel reports for the queue (it sums every priority list)."""
    with app.connection_for_write() as connection:
        return connection.default_channel.queue_declare(queue).message_count


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_queue_length_and_purge_agree_with_kombu(
    config: str, redis_server: RedisServer, db: redis.Redis, tmp_path: Path
) -> None:
    python_config, php_config = CONFIGS[config]
    app = Celery("queue-tools", set_as_current=False)
    app.conf.update(broker_url=redis_server.url(TOOLS_DB), broker_connection_retry_on_startup=True)
    app.conf.update(python_config)
    script = tmp_path / "tools.php"
    script.write_text(
        php_script(
            f"$celery = new CeleryClient('{redis_server.url(TOOLS_DB)}', null, {php_config});\n"
            "$empty = $celery->queueLength('tools');\n"
            "foreach ([0, 0, 2, 3, 5, 6, 7, 9, 9] as $priority) {\n"
            "    $celery->sendTask('tasks.record', [], [], ['queue' => 'tools', 'priority' => $priority]);\n"
            "}\n"
            "$celery->sendTask('tasks.record', [], [], ['queue' => 'elsewhere']);\n"
            "echo json_encode([$empty, $celery->queueLength('tools'), $celery->queueLength('elsewhere')]);\n"
        )
    )
    purge = tmp_path / "purge.php"
    purge.write_text(
        php_script(
            f"$celery = new CeleryClient('{redis_server.url(TOOLS_DB)}', null, {php_config});\n"
            "echo json_encode([$celery->purgeQueue('tools'), $celery->queueLength('tools')]);\n"
        )
    )
    try:
        sent = run_php_script(script, {}, timeout=30)
        assert sent.returncode == 0 and sent.stderr == "", sent.describe()
        lists = [key.decode() for key in db.keys("*tools*") if db.type(key) == b"list"]

        assert sent.json() == [0, 9, 1]
        assert kombu_count(app, QUEUE) == 9
        assert len(lists) > 1  # the messages really are spread over several priority lists

        purged = run_php_script(purge, {}, timeout=30)
        assert purged.returncode == 0 and purged.stderr == "", purged.describe()
        assert purged.json() == [9, 0]
        assert kombu_count(app, QUEUE) == 0
        assert kombu_count(app, "elsewhere") == 1  # only the named queue is purged
    finally:
        app.close()
