"""Issue 8: sendMany() and atomic canvases, on a real worker.

sendMany() writes its messages in MULTI/EXEC chunks (CeleryClient::CHUNK messages each), one
round trip per chunk; a chunk is queued whole or not at all. A canvas goes in one transaction
too, with its chord counter when the result backend is the broker's database, so a broken
connection never leaves a counter without its header tasks.
"""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest

import databases
from faults import FaultProxy
from harness import CeleryWorker, Records, RedisServer

CHUNK = 200

def specs(count: int, mixed: bool = True) -> list[list[str]]:
    kinds = ["plain"] * 15 + ["options", "options", "chain", "group", "chord"] if mixed else ["plain"]
    return [[kinds[i % len(kinds)], f"m{i}"] for i in range(count)]


def markers(spec: list[str]) -> list[str]:
    kind, m = spec
    return {"chain": [f"{m}-a", f"{m}-b"], "group": [f"{m}-a", f"{m}-b"],
            "chord": [f"{m}-a", f"{m}-b", f"{m}-body"]}.get(kind, [m])


def messages(spec: list[str]) -> int:
    """Messages the client writes for one canvas (a chain's later steps travel in its first)."""
    return {"chain": 1, "group": 2, "chord": 2}.get(spec[0], 1)


def exec_calls(server: RedisServer) -> int:
    return server.client().info("commandstats").get("cmdstat_exec", {}).get("calls", 0)


def test_send_many_runs_every_task_exactly_once(
    worker: CeleryWorker, run_php, records: Records, redis_server: RedisServer
) -> None:
    batch = specs(1000)

    out = run_php.file(
        "send_many.php",
        args=["run_all"],
        env={"CB_SPECS": json.dumps(batch)},
        timeout=120,
    ).json()

    expected = [marker for spec in batch for marker in markers(spec)]
    seen = Counter(record["kwargs"]["m"] for record in records.pop_many(len(expected), timeout=120))
    assert seen == Counter(expected)  # every task once, none twice
    assert records.pending() == []
    assert out == {"count": 1000, "first": "m0", "chord": "m19-body"}


def test_send_many_takes_one_round_trip_per_chunk(
    worker: CeleryWorker, run_php, redis_server: RedisServer
) -> None:
    """To a queue no worker reads (workers run MULTI/EXEC of their own when they take tasks)."""
    batch = specs(1000)
    broker = redis_server.client(databases.BROKER)
    before = exec_calls(redis_server)

    run_php.file(
        "send_many.php",
        args=["to_nobody"],
        env={"CB_SPECS": json.dumps(batch)},
    )

    sent = sum(messages(spec) for spec in batch)
    # One MULTI/EXEC per chunk of about CHUNK messages; a canvas never spans two chunks.
    assert exec_calls(redis_server) - before == math.ceil(sent / CHUNK)
    lists = [key for key in broker.keys("nobody*")]
    assert sum(broker.llen(key) for key in lists) == sent
    broker.delete(*lists)


@pytest.mark.parametrize("mode", ["drop_request", "drop_reply", "stall_reply"])
def test_a_cut_chunk_is_reported_whole_and_never_resent(
    mode: str, worker: CeleryWorker, run_php, records: Records, redis_server: RedisServer
) -> None:
    """Three chunks; the connection breaks while the second is written. The first is queued,
    the second is all queued or none (PublishOutcomeUnknown says which tasks), the third was
    never sent, and nothing is sent twice."""
    batch = specs(3 * CHUNK, mixed=False)
    # A chunk to one queue is one LPUSH of all its messages: strike at the second.
    proxy = FaultProxy(redis_server.port, mode, after=1)
    try:
        env = {"CB_SPECS": json.dumps(batch), "CB_BROKER": f"redis://127.0.0.1:{proxy.port}/0"}
        out = run_php.file("send_many.php", env=env, timeout=60, args=["cut"]).json()
    finally:
        proxy.close()
    # One list, one worker process: once "end" ran, everything queued before it ran too.
    seen: list[str] = []
    while "end" not in seen:
        seen.append(records.pop(60)["kwargs"]["m"])

    assert (out["outcome"], out["queued"], out["uncertain"], out["not_queued"]) == (
        "PublishOutcomeUnknown", CHUNK, CHUNK, 2 * CHUNK), out
    assert "all of them are queued, or none" in out["message"]
    ran = Counter(seen)
    assert max(ran.values()) == 1
    first, second, third = ({f"m{i}" for i in range(k * CHUNK, (k + 1) * CHUNK)} for k in range(3))
    assert first <= set(ran)
    assert not (third & set(ran))
    assert not (second & set(ran)) or second <= set(ran), "part of a chunk was queued"
    assert proxy.faults == 1


def test_a_chord_cut_while_published_leaves_no_counter_without_its_tasks(
    worker_factory, run_php, records: Records, redis_server: RedisServer
) -> None:
    """Broker and result backend in the same database: the chord's counter and its header
    tasks are one transaction. Dropped before Redis saw it, none of them exists."""
    db = databases.CHORD_CUT
    url = redis_server.url(db)
    client = redis_server.client(db)
    client.flushdb()
    # Its own database: the workers publish the chord body to their default queue, "celery".
    records_env = {"CELERY_BRIDGE_RECORDS_URL": redis_server.url(databases.BROKER)}
    worker = worker_factory(url, url, hostname="atomic@%h", env=records_env)
    proxy = FaultProxy(redis_server.port, "drop_request")
    proxied = f"redis://127.0.0.1:{proxy.port}/{db}"
    try:
        out = run_php.file(
            "send_many.php",
            args=["chord_cut"],
            env={"CB_SPECS": "[]", "CB_BROKER": proxied},
            timeout=60,
        )
        got = out.json()
    finally:
        proxy.close()

    assert got == {"outcome": "unknown", "uncertain": 2, "canvas": got["canvas"], "whole": "whole-body"}
    # The cut chord left nothing: no counter, no header task, no body.
    assert [key for key in client.keys("*") if key.endswith(b".s")] == []
    ran = Counter(record["kwargs"]["m"] for record in records.pop_many(3, timeout=30))
    assert ran == Counter(["whole-a", "whole-b", "whole-body"])
    assert records.pending() == []
    assert worker.running
