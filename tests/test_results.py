"""What PHP reads from Celery's Redis result backend, against a real worker: every value and
marker, failures, retries, custom states, revokes (waiting and handles: test_result_handles.py).

Every test runs PHP in its own process (run_php) against the session worker (broker db 0,
results db 1). Tasks that must not finish yet wait on a Redis list ("gate") that the test
pushes to; nothing here sleeps for a guessed duration.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import time
import uuid
from typing import Any

import redis
from celery import Celery

import databases
from harness import CeleryWorker, RedisServer, gate_key
from php_runner import PHP_VIEW
from python_worker.result_tasks import SAMPLES
from versions import WorkerVersions

BACKEND_DB = databases.BACKEND
BROKER_DB = databases.BROKER



def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _php_time(value: dt.datetime) -> str:
    offset = value.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def php_view(value: Any) -> Any:
    """What PHP_VIEW prints for the value kombu encoded from `value`."""
    if value is None:
        return {"null": None}
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, int):
        # Beyond 64 bits PHP keeps the digits as a string.
        return {"int": value} if -(2**63) <= value < 2**63 else {"string": b64(str(value).encode())}
    if isinstance(value, float):
        if math.isnan(value):
            return {"float": "nan"}
        if math.isinf(value):
            return {"float": "inf" if value > 0 else "-inf"}
        return {"float": value}
    if isinstance(value, str):
        return {"string": b64(value.encode())}
    if isinstance(value, bytes):
        return {"string": b64(value)}
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return {"string": b64(str(value).encode())}
    if isinstance(value, dt.datetime):
        return {"datetime": _php_time(value)}
    if isinstance(value, dt.date):
        return {"datetime": _php_time(dt.datetime(value.year, value.month, value.day))}
    if isinstance(value, dt.time):
        return {"datetime": _php_time(dt.datetime.combine(dt.date(1970, 1, 1), value))}
    if isinstance(value, (list, tuple)):
        return {"list": [php_view(item) for item in value]}
    if isinstance(value, dict):
        keys = [str(key) for key in value]
        # PHP arrays: an empty mapping and keys 0..n-1 both read as a list.
        if keys == [str(i) for i in range(len(keys))]:
            return {"list": [php_view(item) for item in value.values()]}
        return {"map": {str(key): php_view(item) for key, item in value.items()}}
    raise TypeError(f"no PHP view for {type(value).__name__}")


def wait_for_state(client: redis.Redis, task_id: str, state: str, timeout: float = 10.0) -> dict[str, Any]:
    """Subscribe to the task's channel, then read its key: returns once `state` is stored."""
    key = f"celery-task-meta-{task_id}"
    pubsub = client.pubsub()
    pubsub.subscribe(key)
    try:
        deadline = time.monotonic() + timeout
        stored = client.get(key)
        while stored is None or json.loads(stored)["status"] != state:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"task {task_id} did not reach {state} in {timeout}s (last: {stored!r})")
            message = pubsub.get_message(timeout=left)
            if message and message["type"] == "message":
                stored = message["data"]
        return json.loads(stored)
    finally:
        pubsub.close()


def _as_written(worker_release: WorkerVersions, results_db: redis.Redis, task_id: str, sample: Any) -> Any:
    """What a Python client reads back for `sample`: the value itself with kombu 5.3+; with an
    older kombu, the plain JSON it wrote (datetimes as ISO text, Decimal and UUID as strings)."""
    if worker_release.kombu_markers:
        return sample
    return json.loads(results_db.get(f"celery-task-meta-{task_id}"))["result"]


def test_every_json_type_and_kombu_marker_reaches_php(
    worker: CeleryWorker, run_php, results_db: redis.Redis, worker_release: WorkerVersions
) -> None:
    got = run_php(
        PHP_VIEW + "$r = $celery->sendTask('tasks.returns', ['all']);"
        "out(['id' => $r->id, 'value' => view($r->get(timeout: 10.0))]);"
    ).json()

    expected = _as_written(worker_release, results_db, got["id"], SAMPLES)
    # kombu before 5.3 cannot put bytes in JSON, so the worker leaves them out there.
    sent = {kind for kind in SAMPLES if worker_release.kombu_markers or "bytes" not in kind}
    assert set(got["value"]["map"]) == sent
    for kind in got["value"]["map"]:
        assert got["value"]["map"][kind] == php_view(expected[kind]), kind
    if not worker_release.kombu_markers:
        assert expected["datetime"] == "2030-01-02T03:04:05.678901Z"
        assert expected["decimal"] == "12345678901234567890.123456789"


def test_top_level_special_values(
    worker: CeleryWorker, run_php, results_db: redis.Redis, worker_release: WorkerVersions
) -> None:
    kinds = ["nan", "-inf", "bigint", "datetime", "bytes_binary", "null", "empty_dict"]
    if not worker_release.kombu_markers:
        kinds.remove("bytes_binary")
    got = run_php(
        PHP_VIEW
        + "$ids = [];\n"
        + f"foreach ({json.dumps(kinds)} as $kind) {{\n"
        + "    $ids[] = $celery->sendTask('tasks.returns', [$kind])->id;\n}\n"
        + "out(['ids' => $ids, 'values' => array_map('view', $celery->results($ids)->get(timeout: 10.0))]);"
    ).json()

    assert got["values"] == [
        php_view(_as_written(worker_release, results_db, task_id, SAMPLES[kind]))
        for task_id, kind in zip(got["ids"], kinds, strict=True)
    ]


def test_failures_expose_the_remote_exception(worker: CeleryWorker, run_php) -> None:
    got = run_php.file("results.php", args=["remote_exceptions"]).json()

    value_error, custom, unknown = got
    assert value_error["class"] == "CeleryBridge\\Exception\\TaskFailed"
    assert value_error["bridge"] is True
    assert value_error["type"] == "ValueError"
    assert value_error["module"] == "builtins"
    assert value_error["args"] == ["boom"]
    assert value_error["text"] == "boom"
    assert "failed on the worker with ValueError: boom" in value_error["message"]
    assert value_error["traceback"].startswith("Traceback (most recent call last):")
    assert "raise ValueError(message)" in value_error["traceback"]
    assert value_error["traceback"].rstrip().endswith("ValueError: boom")

    assert custom["type"] == "PaymentDeclined"
    assert custom["module"] == "python_worker.errors"
    assert custom["args"] == ["no money"]
    assert custom["traceback"].rstrip().endswith("python_worker.errors.PaymentDeclined: no money")

    # An unknown task name: the worker drops the message and stores NotRegistered.
    assert (unknown["type"], unknown["module"], unknown["args"]) == (
        "NotRegistered",
        "celery.exceptions",
        ["tasks.no_such_task"],
    )


def test_propagate_false_returns_the_failure_info(worker: CeleryWorker, run_php) -> None:
    got = run_php.file("results.php", args=["propagate_false"]).json()

    assert got["class"] == "CeleryBridge\\Exception\\ExceptionInfo"
    assert (got["type"], got["args"], got["state"]) == ("ValueError", ["soft"], "FAILURE")
    assert (got["failed"], got["ready"], got["successful"]) == (True, True, False)
    assert got["result_class"] == "CeleryBridge\\Exception\\ExceptionInfo"
    assert got["traceback"] is True
    done = dt.datetime.fromisoformat(got["date_done"])
    assert abs((dt.datetime.now(dt.UTC) - done).total_seconds()) < 60


def test_retry_then_success(
    worker: CeleryWorker, run_php, results_db: redis.Redis, gates: redis.Redis
) -> None:
    gate = gate_key()
    task_id = run_php(
        PHP_VIEW + f"out($celery->sendTask('tasks.retry_until', ['{gate}', 'done'])->id);"
    ).json()
    wait_for_state(results_db, task_id, "RETRY")

    # A second PHP process rebuilds the result from the id alone.
    retrying = run_php.file("results.php", args=["retrying"], env={"CB_TASK_ID": task_id}).json()
    gates.rpush(gate, "open")
    try:
        finished = run_php(
            PHP_VIEW + f"$r = $celery->result('{task_id}'); out([$r->get(timeout: 10.0), $r->state()]);"
        ).json()
    finally:
        gates.delete(gate)

    assert retrying["state"] == "RETRY"
    assert retrying["ready"] is False
    assert retrying["type"] == "LookupError"
    assert retrying["message"] == f"gate {gate} is closed"
    assert "Retry in" in retrying["traceback"] or "LookupError" in retrying["traceback"]
    value, state = finished
    assert state == "SUCCESS"
    assert value["value"] == "done"
    assert value["retries"] >= 1


def test_custom_state_from_update_state(worker: CeleryWorker, run_php, results_db, gates) -> None:
    gate = gate_key()
    task_id = run_php(PHP_VIEW + f"out($celery->sendTask('tasks.progress', ['{gate}', 3])->id);").json()
    wait_for_state(results_db, task_id, "PROGRESS")
    try:
        progress = run_php(
            PHP_VIEW + f"$r = $celery->result('{task_id}'); out([$r->state(), $r->ready(), $r->result()]);"
        ).json()
        gates.rpush(gate, "go")
        finished = run_php(PHP_VIEW + f"out($celery->result('{task_id}')->get(timeout: 10.0));").json()
    finally:
        gates.delete(gate)

    assert progress == ["PROGRESS", False, {"done": 3}]
    assert finished == "finished"


def test_revoked_and_expired_tasks(
    worker: CeleryWorker,
    run_php,
    python_celery: Celery,
    results_db: redis.Redis,
    worker_release: WorkerVersions,
) -> None:
    # Revoked before it is sent, so no message is left waiting in the session worker, which
    # discards the message when it arrives and stores REVOKED (5.7 already on the broadcast).
    held = str(uuid.uuid4())
    mark = worker.mark()
    python_celery.control.revoke(held)
    worker.wait_for_log(rf"Tasks flagged as revoked: {held}", since=mark)
    if worker_release.stores_revoked_on_broadcast:
        wait_for_state(results_db, held, "REVOKED")

    got = run_php.file("results.php", args=["revoked_and_expired"], env={"CB_HELD": held}).json()

    worker.wait_for_log(rf"Discarding revoked task: tasks\.add\[{held}\]", since=mark)
    revoked, expired = got
    assert revoked["class"] == "CeleryBridge\\Exception\\TaskRevoked"
    assert revoked["bridge"] is True
    assert revoked["reason"] == "revoked"
    assert (revoked["type"], revoked["state"]) == ("TaskRevokedError", "REVOKED")
    assert (revoked["ready"], revoked["failed"]) == (True, False)
    assert (expired["reason"], expired["state"]) == ("expired", "REVOKED")


def test_retry_without_exc_waits_for_the_final_value(
    worker: CeleryWorker, run_php, results_db: redis.Redis, gates: redis.Redis
) -> None:
    """`raise self.retry(countdown=...)` stores RETRY with a null result: PHP reads it as such
    and get() waits for the retried task's value (issue 10)."""
    gate = gate_key()
    task_id = run_php(PHP_VIEW + f"out($celery->sendTask('tasks.retry_plain', ['{gate}', 42])->id);").json()
    stored = wait_for_state(results_db, task_id, "RETRY")
    retrying = run_php(
        PHP_VIEW + f"$r = $celery->result('{task_id}'); out([$r->state(), $r->ready(), $r->result()]);"
    ).json()
    gates.rpush(gate, "open")
    try:
        value = run_php(PHP_VIEW + f"out($celery->result('{task_id}')->get(timeout: 10.0));").json()
    finally:
        gates.delete(gate)

    assert stored["result"] is None
    assert retrying == ["RETRY", False, None]
    assert value == 42


def test_failure_stored_by_update_state_is_read(worker: CeleryWorker, run_php) -> None:
    """update_state(state=FAILURE, meta={...}) + Ignore stores no exception: get() throws
    TaskFailed carrying what was stored, state() and result() read it."""
    out = run_php.file("results.php", args=["failure_stored_by_update_state"]).json()
    assert out["stored"] == {"reason": "custom"}
    assert out["type"] is None
    assert out["state"] == "FAILURE"
    assert out["result"] == {"reason": "custom"}
    assert "not an exception description" in out["message"]


def test_revoked_without_exception_info_is_read(worker: CeleryWorker, run_php) -> None:
    out = run_php.file("results.php", args=["revoked_without_exception_info"]).json()
    assert out["state"] == "REVOKED"
    assert out["reason"] == "" and out["type"] is None


def test_failures_the_worker_records_itself(
    worker_factory, run_php, redis_server: RedisServer, worker_release: WorkerVersions
) -> None:
    """FAILUREs the worker stores on the task's behalf: the pool's TimeLimitExceeded and
    WorkerLostError, and from 5.7 the Reject a task raised (requeue=False)."""
    worker_factory(redis_server.url(BROKER_DB), redis_server.url(BACKEND_DB), queues=["lost"], pool="prefork",
                   hostname="lost@%h")
    got = run_php.file(
        "results_worker_failures.php",
        env={"CB_REJECT_WAIT": "20" if worker_release.stores_failure_on_reject else "0.5"},
    ).json()

    assert (got["lost"]["type"], got["lost"]["state"]) == ("WorkerLostError", "FAILURE")
    assert "exited prematurely" in got["lost"]["text"]
    assert (got["limited"]["type"], got["limited"]["state"]) == ("TimeLimitExceeded", "FAILURE")
    if worker_release.stores_failure_on_reject:
        assert (got["rejected"]["type"], got["rejected"]["state"]) == ("Reject", "FAILURE")
    else:
        # Before 5.7 a rejected task keeps no state: get() waits (Python's does too).
        assert got["rejected"]["class"].endswith("ResultTimeout") and got["rejected"]["state"] == "PENDING"


