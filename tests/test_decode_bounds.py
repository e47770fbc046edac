"""Issue 23.3 and 23.8: reading results is bounded by what decoding costs, on every read path.

Inflation was bounded by result_max_size, decoding was not: JSON of small containers takes 10
to 60 times its size as PHP arrays, so a result well under result_max_size (16 MiB of
"[{},{},...]", 840 bytes of bzip2) killed PHP with a fatal error at memory_limit=128M. Each
value here is stored in a real Redis and read by PHP with memory_limit=128M: by GET, by a
PUBLISH while get() waits, as a result's children and as a saved group. Each ends in
ResultTooLarge naming the size and the setting to raise, never in a fatal error.

Celery 5.7 saves a group as it stores a result, compressed with result_compression: a Python
app's GroupResult.save() under zlib and bzip2 is read back by CeleryClient::restoreGroup().
"""

from __future__ import annotations

import bz2
import json
import uuid
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from celery import Celery, group

import databases
from harness import CeleryWorker, MadeKeys, RedisServer
from php_runner import php_get_listening
from python_worker.config import settings_from_env

BACKEND_DB = databases.BACKEND
MEMORY_LIMIT = ["-d", "memory_limit=128M"]
COMPRESSED = b"\x00celery-compressed\x00"
MB = 1 << 20


def compressed(content_type: str, text: bytes) -> bytes:
    body = bz2.compress(text, 9) if "bz" in content_type else zlib.compress(text, 9)
    return COMPRESSED + content_type.encode() + b"\x00" + body


def success(result_json: bytes, **extra: Any) -> bytes:
    tail = b"".join(b", " + json.dumps(k).encode() + b": " + json.dumps(v).encode() for k, v in extra.items())
    return b'{"status": "SUCCESS", "result": ' + result_json + tail + b"}"


def short_id(i: int) -> str:
    return f"{i:x}"


# 16,000,000 bytes (under the 16 MiB result_max_size) of empty maps: a 128 MB PHP array.
EMPTY_MAPS = success(b"[" + b"{}," * 5_333_000 + b"{}]")
# 16 MB of small maps, as zlib (24 KB): about 800 MB as PHP arrays.
SMALL_MAPS = success(b"[" + b'{"a": 1}, ' * 1_600_000 + b'{"a": 1}]')
# A 10 MB meta whose task started 400,000 tasks.
CHILDREN = [[[short_id(i), None], None] for i in range(400_000)]
# A 13 MB saved group (GroupResult.as_tuple()) of 250,000 members.
GROUP_MEMBERS = [[[f"{i:032x}", None], None] for i in range(250_000)]


@pytest.fixture
def backend(redis_server: RedisServer) -> Iterator[MadeKeys]:
    """Result database keys made by the test, deleted afterwards."""
    with MadeKeys.deleted(redis_server.client(BACKEND_DB)) as made:
        yield made


def test_results_that_decode_too_large_are_refused_on_every_read_path(run_php, backend: MadeKeys) -> None:
    """Under result_max_size, too costly to decode: ResultTooLarge, in one 128M process."""
    cases: dict[str, tuple[str, str]] = {}

    def add(name: str, how: str, key_prefix: str, value: bytes) -> None:
        some_id = str(uuid.uuid4())
        backend.store(key_prefix + some_id, value)
        cases[name] = (how, some_id)

    task, taskset = "celery-task-meta-", "celery-taskset-meta-"
    add("bzip2 of 16 MB of empty maps", "get", task, compressed("application/x-bz2", EMPTY_MAPS))
    add("16 MB of empty maps", "get", task, EMPTY_MAPS)
    add("zlib of 16 MB of small maps", "get", task, compressed("application/x-gzip", SMALL_MAPS))
    add("meta with 400k children", "children", task, success(b"3", children=CHILDREN))
    add(
        "saved group of 250k members",
        "group",
        taskset,
        json.dumps({"result": [["g", None], GROUP_MEMBERS]}).encode(),
    )
    add(
        "saved group over result_max_size",
        "group",
        taskset,
        json.dumps({"result": [["g", None], GROUP_MEMBERS * 2]}).encode(),
    )
    # What still fits is read.
    add("500k small ints", "get", task, success(json.dumps(list(range(500_000))).encode()))
    add("4000 children", "children", task, success(b"3", children=CHILDREN[:4000]))
    add(
        "4000-member group",
        "group",
        taskset,
        json.dumps({"result": [["g", None], GROUP_MEMBERS[:4000]]}).encode(),
    )
    assert len(EMPTY_MAPS) < 16 * MB and len(compressed("application/x-bz2", EMPTY_MAPS)) < 2000

    env = {"CB_CASES": json.dumps(cases)}
    result = run_php.file("decode_bounds_read.php", env=env, php_args=MEMORY_LIMIT, timeout=120)

    out = result.json()
    assert result.stderr == ""
    refused = {name: text for name, text in out.items() if text.startswith("ResultTooLarge: ")}
    assert set(refused) == set(list(cases)[:6]), out
    assert out["500k small ints"] == "value: 500000"
    assert out["4000 children"] == "value: 4000"
    assert out["4000-member group"] == "value: 4000"
    # The message names the size and the setting to raise.
    assert f"({len(EMPTY_MAPS)} bytes of JSON)" in refused["16 MB of empty maps"]
    assert "result_max_size" in refused["16 MB of empty maps"]
    assert "more than result_max_size" in refused["saved group over result_max_size"]


def test_a_costly_result_published_while_get_waits_is_ignored(run_php, backend: MadeKeys) -> None:
    """The same bound on the channel: past it, get() reads the stored key."""
    task_id = str(uuid.uuid4())
    key = f"celery-task-meta-{task_id}"
    backend.store(key)
    client = backend.client
    waiter = php_get_listening(
        client,
        key,
        lambda: ThreadPoolExecutor(1).submit(
            run_php,
            "$celery = new CeleryClient($brokerUrl, $backendUrl);"
            f"echo json_encode($celery->result('{task_id}')->get(timeout: 20.0));",
            php_args=MEMORY_LIMIT,
        ),
    )
    assert client.publish(key, compressed("application/x-bz2", EMPTY_MAPS)) == 1
    client.set(key, success(b'"stored value"'))
    client.publish(key, success(b'"stored value"'))
    result = waiter.result(timeout=60)
    assert result.json() == "stored value"
    assert result.stderr == ""


@pytest.mark.parametrize("compression", ["zlib", "bzip2"])
def test_restore_group_reads_a_group_celery_saved_compressed(
    worker: CeleryWorker, run_php, redis_server: RedisServer, compression: str
) -> None:
    """GroupResult.save() from a Celery 5.7 app with result_compression: restoreGroup() reads it."""
    app = Celery("saver", set_as_current=False)
    app.conf.update(
        settings_from_env(
            {
                "CELERY_BROKER_URL": redis_server.url(databases.BROKER),
                "CELERY_RESULT_BACKEND": redis_server.url(BACKEND_DB),
            }
        )
    )
    app.conf.result_compression = compression
    try:
        sent = group(app.signature("tasks.add", (i, i)) for i in range(3)).apply_async()
        sent.save()
        stored = redis_server.client(BACKEND_DB).get(f"celery-taskset-meta-{sent.id}")
        assert stored is not None and stored.startswith(COMPRESSED)
        got = run_php(
            "$celery = new CeleryClient($brokerUrl, $backendUrl);"
            f"$group = $celery->restoreGroup('{sent.id}');"
            "echo json_encode(['ids' => $group->ids(), 'values' => $group->get(timeout: 10.0)]);",
        ).json()
        assert got == {"ids": [r.id for r in sent.results], "values": [0, 2, 4]}
        sent.forget()
    finally:
        app.close()
