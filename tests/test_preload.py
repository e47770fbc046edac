"""php/preload.php (opcache.preload for PHP-FPM): the library's classes are compiled and linked
when PHP starts, a request loads none of its files, and a task sent then is the same message."""

from __future__ import annotations

import json
import os
from pathlib import Path

import databases
from harness import RedisServer

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "preload"

SEND = r"""
$preloaded = class_exists(CeleryBridge\Publish\Publisher::class, false);
$celery = new CeleryClient($brokerUrl, config: ['task_default_queue' => 'QUEUE']);
$id = $celery->sendTask('tasks.add', [1, 2])->id;
$after = count(array_filter(get_included_files(), static fn (string $f) => str_contains($f, '/php/src/')));
echo json_encode(['preloaded' => $preloaded, 'files' => $after, 'id' => $id]);
""".replace("QUEUE", QUEUE)


def test_preloaded_classes_send_the_same_message(run_php, redis_server: RedisServer) -> None:
    preload = [
        "-d", "opcache.enable_cli=1",
        "-d", f"opcache.preload={ROOT / 'php' / 'preload.php'}",
    ]
    if os.geteuid() == 0:
        preload += ["-d", "opcache.preload_user=root"]  # PHP refuses to preload as root otherwise
    broker = redis_server.client(databases.BROKER)
    try:
        plain = run_php(SEND).json()
        preloaded = run_php(SEND, php_args=preload).json()
        messages = [json.loads(m) for m in broker.lrange(QUEUE, 0, -1)]
    finally:
        broker.delete(QUEUE)

    assert not plain["preloaded"] and plain["files"] > 0
    assert preloaded["preloaded"] and preloaded["files"] == 0
    # The same message but for the ids and the client's reply_to and origin.
    assert len(messages) == 2
    for message in messages:
        for key in ("correlation_id", "reply_to", "delivery_tag"):
            message["properties"].pop(key)
        for key in ("id", "root_id", "origin"):
            message["headers"].pop(key)
    assert messages[0] == messages[1]
