"""PHP's result handles against a real worker: waiting (results that land before the
subscription, many at once, concurrent gets), handles kept across processes or forgotten, and
what a get() does without a backend or with garbage on the result channel.

Every test runs PHP in its own process (run_php) against the session worker (broker db 0,
results db 1). Gated tasks wait on a Redis list the test pushes to; nothing sleeps.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import redis
from celery import Celery

import databases
from harness import CeleryWorker, RedisServer, gate_key
from php_runner import PHP_VIEW, php_get_listening
from waiting import until


def test_a_task_sent_with_ignore_result_gives_null_at_once(
    worker: CeleryWorker, run_php, results_db: redis.Redis
) -> None:
    """As Celery's client: the handle is marked ignored and get() does not wait for a result
    that will never be stored. A result read by id knows nothing of that and waits."""
    got = run_php.file("results.php", args=["ignored"]).json()

    assert got["value"] is None and got["ignored"] == [True, False]
    assert got["elapsed"] < 0.05
    assert got["error"]["class"] == "CeleryBridge\\Exception\\ResultTimeout"
    assert got["error"]["states"] == {got["id"]: "PENDING"}
    assert got["after"] == 42
    assert got["state"] == "PENDING"
    assert results_db.exists(f"celery-task-meta-{got['id']}") == 0
    assert results_db.pubsub_numsub(f"celery-task-meta-{got['id']}") == [
        (f"celery-task-meta-{got['id']}".encode(), 0)
    ]


def test_results_that_land_before_the_subscription_are_never_missed(worker: CeleryWorker, run_php) -> None:
    """An instant task often finishes between sendTask() and the subscription: none is lost."""
    got = run_php.file("results.php", args=["instant_tasks"], timeout=60).json()

    assert got["wrong"] == []
    # A missed result would only surface through the 5 s timeout.
    assert got["slowest"] < 1.0


def test_many_results_with_one_wait_in_the_order_of_the_ids(worker: CeleryWorker, run_php) -> None:
    got = run_php.file("results.php", args=["result_set"]).json()

    expected = [("ValueError" if i == 7 else i) for i in reversed(range(20))]
    assert got["values"] == expected
    assert got["states"] == [("FAILURE" if i == 7 else "SUCCESS") for i in reversed(range(20))]
    assert got["thrown"] is True
    assert got["completed"] == 20


def test_concurrent_gets_on_one_task(
    worker: CeleryWorker, run_php, python_celery: Celery, results_db: redis.Redis, gates: redis.Redis
) -> None:
    """Five PHP processes wait on the same task; all wake up when it finishes."""
    gate = gate_key()
    task_id = python_celery.send_task("tasks.wait_for", args=(gate,)).id
    channel = f"celery-task-meta-{task_id}"
    code = PHP_VIEW + (
        f"$v = $celery->result('{task_id}')->get(timeout: 20.0);\n"
        "out(['value' => $v, 'woke' => hrtime(true) / 1e9]);"
    )
    try:
        with ThreadPoolExecutor(max_workers=5) as pool:
            runs = [pool.submit(run_php, code, None, 30.0) for _ in range(5)]
            # Every process is subscribed (the wait is pub/sub, not polling) before the task ends.
            until(
                lambda: results_db.pubsub_numsub(channel)[0][1] >= 5,
                20,
                "the PHP processes to all subscribe",
                ended=lambda: "\n".join(run.result().describe() for run in runs if run.done()) or None,
                interval=0.01,
            )
            gates.rpush(gate, "released")
            outputs = [run.result().json() for run in runs]
    finally:
        gates.delete(gate)

    assert [out["value"] for out in outputs] == ["released"] * 5
    assert results_db.pubsub_numsub(channel)[0][1] == 0


def test_a_task_sent_from_python_is_read_by_php_and_forgotten(
    worker: CeleryWorker, run_php, python_celery: Celery, results_db: redis.Redis
) -> None:
    task_id = python_celery.send_task("tasks.add", args=(2, 3)).id
    got = run_php.file("results.php", args=["read_and_forget"], env={"CB_TASK_ID": task_id}).json()

    assert got == [5, "PENDING"]
    assert results_db.exists(f"celery-task-meta-{task_id}") == 0
    assert python_celery.AsyncResult(task_id).state == "PENDING"


def test_serialized_result_is_rebuilt_from_its_id_in_another_process(
    worker: CeleryWorker, run_php, redis_server: RedisServer
) -> None:
    first = run_php(
        PHP_VIEW
        + "$r = $celery->sendTask('tasks.add', [20, 22]);\n"
        + "out(['id' => $r->id, 's' => serialize($r)]);"
    ).json()
    # The handle travels as its id (and parents): no server address, no connection.
    assert urlsplit(redis_server.url(databases.BACKEND)).netloc.rpartition("@")[2] not in first["s"]
    assert first["id"] in first["s"]

    # Even with a client in the process the copy is not read behind the caller's back: the error
    # says to rebuild it with $celery->result($id), which reads it.
    later = run_php(
        PHP_VIEW
        + f"""
$r = unserialize({json.dumps(first["s"])});
try {{ $r->get(timeout: 1.0); $error = null; }}
catch (CeleryBridge\\Exception\\NoResultBackend $e) {{ $error = $e->getMessage(); }}
out([$r->id, $error, $celery->result($r->id)->get(timeout: 10.0), $celery->result($r->id)->state()]);
"""
    ).json()
    assert later[0] == first["id"]
    assert "$celery->result($id)" in later[1]
    assert later[2:] == [42, "SUCCESS"]

    # Without a client in the process it is the same error.
    orphan = run_php(
        f"$r = unserialize({json.dumps(first['s'])});\n"
        "try { $r->get(timeout: 1.0); echo 'returned'; } "
        "catch (CeleryBridge\\Exception\\NoResultBackend $e) { echo $e->getMessage(); }"
    )
    assert "$celery->result($id)" in orphan.stdout


def test_no_backend_configured_is_a_clear_error(worker: CeleryWorker, run_php) -> None:
    got = run_php.file("results.php", args=["no_backend"])
    assert "no result backend is configured" in got.stdout


def test_garbage_published_on_the_result_channel_is_ignored(
    worker: CeleryWorker, run_php, results_db: redis.Redis, gates: redis.Redis
) -> None:
    """Anyone can PUBLISH on a result channel (pub/sub ignores databases): get() ignores what
    does not decode and reads the stored key."""
    gate = gate_key()
    task_id = run_php(PHP_VIEW + f"out($celery->sendTask('tasks.wait_for', ['{gate}'])->id);").json()
    channel = f"celery-task-meta-{task_id}"
    # Garbage first, once PHP listens on the channel; then let the task finish.
    waiter = php_get_listening(results_db, channel, lambda: ThreadPoolExecutor(1).submit(
        run_php, PHP_VIEW + f"out($celery->result('{task_id}')->get(timeout: 20.0));"
    ))
    assert results_db.publish(channel, b"\x00garbage{") == 1
    gates.rpush(gate, "payload")
    assert waiter.result(timeout=30).json() == "payload"


def test_children_are_result_handles(worker: CeleryWorker, run_php) -> None:
    """Tasks a task started are its children (Celery's AsyncResult.children), as handles."""
    got = run_php.file("results.php", args=["children"]).json()

    assert got == {"value": "spawned", "children": [["CeleryBridge\\Result\\AsyncResult", 6],
                                                     ["CeleryBridge\\Result\\AsyncResult", 2]]}
