"""Issue 2 end to end: what PHP's sendTask() options do on a real Celery 5.7 worker.

Each test publishes from PHP (one php process per test, several tasks each) and asserts on what
the worker did: the arguments and request tasks.record saw, when it ran, what the result
backend (db 1 of the session Redis) holds.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

import databases
from harness import CeleryWorker, Records, RedisServer, received_log
from versions import WorkerVersions
from wire import SEP, iso_seconds, wait_for_meta

BACKEND_DB = databases.BACKEND


def _by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["request"]["id"]: record for record in records}


def test_arguments_arrive_with_their_python_types(
    worker: CeleryWorker, run_php, records: Records, worker_release: WorkerVersions
) -> None:
    sent = run_php.file("publish_options.php", args=["python_types"]).json()

    got = _by_id(records.pop_many(4))

    full = got[sent["full"]]
    # kombu before 5.3 leaves the datetime marker a dict (so does Python's send_task to it).
    undecoded = {"dict": {"__type__": "str", "__value__": "str"}}
    marker_type = "datetime" if worker_release.kombu_markers else undecoded
    assert full["arg_types"] == [
        "int", "int", "float", "float", "float", "float", "int", "bool", "bool", "NoneType",
        "str", "str", {"list": []},
        {"list": ["int", {"list": ["float", {"list": ["NoneType", {"list": ["bool"]}]}]}]},
        {"dict": {"a": {"dict": {"b": {"list": ["int", "str"]}}}}}, marker_type,
    ]  # fmt: skip
    assert full["args"][:15] == [
        7, -3, 1.0, 2.5, -0.0, 1e100, 2**63 - 1, True, False, None,
        "é😀中文", "", [], [1, [2.0, [None, [True]]]], {"a": {"b": [1, "c"]}},
    ]  # fmt: skip
    # The datetime keeps its offset and its instant, to the microsecond.
    when = full["args"][15] if worker_release.kombu_markers else full["args"][15]["__value__"]
    assert when == "2030-01-02T03:04:05.678901-03:00"
    assert iso_seconds(when) == pytest.approx(float(sent["when"]), abs=1e-6)
    assert full["kwargs"] == {"n": 1, "f": 1.0, "none": None, "text": "ünï 😀", "map": {"k": []}, "list": [1]}
    assert full["kwarg_types"] == {
        "n": "int", "f": "float", "none": "NoneType", "text": "str", "map": {"dict": {"k": {"list": []}}},
        "list": {"list": ["int"]},
    }  # fmt: skip

    # No arguments at all: kwargs still arrives as a mapping (a JSON [] would drop the task).
    assert got[sent["empty"]]["args"] == [] and got[sent["empty"]]["kwargs"] == {}
    assert got[sent["empty_list"]]["args"] == [[]]
    assert got[sent["empty_list"]]["arg_types"] == [{"list": []}]
    assert got[sent["empty_map"]]["arg_types"] == [{"dict": {}}]
    assert got[sent["empty_map"]]["kwarg_types"] == {"m": {"dict": {}}}


DELAY = 1.5
# The worker holds an ETA task in memory and runs it from its timer; on an idle solo worker it
# starts within milliseconds of the eta. The upper bound only absorbs a busy machine.
LATE = 1.0


def test_countdown_and_eta_run_the_task_at_that_time(worker: CeleryWorker, run_php, records: Records) -> None:
    delay = {"CB_DELAY": str(DELAY)}
    sent = run_php.file("publish_options.php", args=["countdown_and_eta"], env=delay).json()

    got = {record["args"][0]: record for record in records.pop_many(4, timeout=DELAY + 10)}

    assert set(got) == {"now", "countdown", "eta_datetime", "eta_string"}
    now = got["now"]
    assert now["request"]["eta"] is None
    assert now["time"] - sent["now"]["published_at"] < LATE
    for label in ("countdown", "eta_datetime", "eta_string"):
        record, published = got[label], sent[label]
        assert record["request"]["id"] == published["id"]
        due = float(published.get("eta", published["published_at"] + DELAY))
        # The worker sees the eta as the same instant (sent in UTC whatever zone it came in).
        # A countdown counts from the moment sendTask() reads the clock, between these two.
        eta = iso_seconds(record["request"]["eta"])
        if label == "countdown":
            assert due - 1e-3 <= eta <= float(published["returned_at"]) + DELAY + 1e-3, (eta, due)
        else:
            assert eta == pytest.approx(due, abs=1e-6)
        assert due - 0.01 <= record["time"] <= due + LATE, (label, record["time"] - due)


def test_expired_tasks_are_revoked_and_never_run(
    worker: CeleryWorker, run_php, records: Records, redis_server: RedisServer
) -> None:
    sent = run_php.file("publish_options.php", args=["expired"]).json()
    backend = redis_server.client(BACKEND_DB)

    for label, task_id in sent.items():
        meta = wait_for_meta(backend, task_id, timeout=10)
        assert meta["status"] == "REVOKED", label
        assert meta["result"] == {
            "exc_type": "TaskRevokedError",
            "exc_message": ["expired"],
            "exc_module": "celery.exceptions",
        }, label

    # Everything the worker ran before the control task would be on the list: none of those.
    control = run_php("echo (new CeleryClient($brokerUrl))->sendTask('tasks.record', ['control'])->id;")
    assert records.pop()["request"]["id"] == control.stdout


def test_request_context_carries_the_options(
    worker: CeleryWorker, run_php, records: Records, redis_server: RedisServer, worker_release: WorkerVersions
) -> None:
    sent = run_php.file("publish_options.php", args=["request_context"]).json()
    options = sent["options"]

    got = _by_id(records.pop_many(2))

    assert sent["id"] == options["task_id"]
    request = got[options["task_id"]]["request"]
    assert request["timelimit"] == [30, 12.5]
    assert request["retries"] == 2
    assert request["shadow"] == "php.shadow.name"
    custom = {"x-trace": "abc", "n": 1, "nested": {"a": [1, None]}}
    if worker_release.custom_headers_in_request_headers:
        assert request["headers"] == custom
    else:
        # Celery before 5.3: request attributes (getattr(self.request, 'x-trace')), the same
        # as for headers sent by Python's send_task().
        assert request["headers"] is None
        assert {key: got[options["task_id"]]["request_vars"][key] for key in custom} == custom
    assert request["root_id"] == options["root_id"]
    assert request["parent_id"] == options["parent_id"]
    # The worker logs the shadow name instead of the task's own.
    worker.wait_for_log(received_log("php.shadow.name", options["task_id"]))

    plain = got[sent["plain"]]["request"]
    assert plain["timelimit"] == [None, None]
    assert plain["retries"] == 0
    assert plain["shadow"] is None
    assert plain["headers"] is None or plain["headers"] == {}
    assert plain["root_id"] == sent["plain"]
    assert plain["parent_id"] is None

    # The result is stored under the chosen id, with the parent id the message carried.
    backend = redis_server.client(BACKEND_DB)
    meta = wait_for_meta(backend, options["task_id"])
    assert meta["status"] == "SUCCESS"
    assert meta["parent_id"] == options["parent_id"]
    assert meta["result"]["request"]["id"] == options["task_id"]


def test_ignore_result_stores_no_result(
    worker: CeleryWorker, run_php, records: Records, redis_server: RedisServer, worker_release: WorkerVersions
) -> None:
    sent = run_php.file("publish_options.php", args=["ignore_result"]).json()
    backend = redis_server.client(BACKEND_DB)

    assert [record["args"] for record in records.pop_many(3)] == [["ignored"], ["stored"], ["default"]]
    # One worker process finishes (and stores) one task before it starts the next, so once the
    # last result is there, the ignored task's would be too.
    assert wait_for_meta(backend, sent["default"])["status"] == "SUCCESS"
    assert wait_for_meta(backend, sent["stored"])["status"] == "SUCCESS"
    ignored = backend.get(f"celery-task-meta-{sent['ignored']}")
    # Celery 5.0 and older do not read the header (Python's send_task has the same effect).
    assert (ignored is None) == worker_release.reads_ignore_result_header


def test_without_the_option_the_tasks_own_ignore_result_applies(
    worker: CeleryWorker, run_php, records: Records, redis_server: RedisServer, worker_release: WorkerVersions
) -> None:
    """Like send_task(), an unset ignore_result is sent as null, so the worker uses the task's."""
    sent = run_php.file("publish_options.php", args=["tasks_own_ignore_result"]).json()
    backend = redis_server.client(BACKEND_DB)

    seen = [record["request"]["ignore_result"] for record in records.pop_many(2)]
    # One worker process runs the tasks in order: once "after" is stored, the others are done.
    assert wait_for_meta(backend, sent["after"])["result"] == 2
    assert backend.get(f"celery-task-meta-{sent['quiet']}") is None
    forced = backend.get(f"celery-task-meta-{sent['forced']}")
    if worker_release.explicit_ignore_result_false_wins:
        assert seen == [None, False]
        assert forced is not None and json.loads(forced)["status"] == "SUCCESS"
    else:
        # Before 5.6 the header can only add ignoring: the task's ignore_result=True wins.
        assert seen[1] is False
        assert forced is None


def test_prefork_worker_enforces_soft_and_hard_time_limits(
    worker_factory, run_php, redis_server: RedisServer
) -> None:
    backend_url = redis_server.url(BACKEND_DB)
    broker_url = redis_server.url(databases.BROKER)
    worker_factory(broker_url, backend_url, queues=["limits"], pool="prefork", hostname="limits@%h")
    sent = run_php.file("publish_options.php", args=["time_limits"]).json()
    backend = redis_server.client(BACKEND_DB)

    within = wait_for_meta(backend, sent["within"], timeout=15)
    assert within["status"] == "SUCCESS"
    assert within["result"] == 0.01
    soft = wait_for_meta(backend, sent["soft"], timeout=15)
    assert soft["status"] == "FAILURE"
    assert soft["result"]["exc_type"] == "SoftTimeLimitExceeded"
    hard = wait_for_meta(backend, sent["hard"], timeout=15)
    assert hard["status"] == "FAILURE"
    assert hard["result"]["exc_type"] == "TimeLimitExceeded"


def test_global_keyprefix_reaches_a_worker_with_the_same_prefix(
    worker: CeleryWorker,
    worker_factory,
    run_php,
    records: Records,
    redis_server: RedisServer,
    worker_release: WorkerVersions,
) -> None:
    transport = {"broker_transport_options": {"global_keyprefix": "pfx:"}}
    sent = run_php.file("publish_options.php", args=["global_keyprefix"]).json()
    broker = redis_server.client(databases.BROKER)
    # Nothing for the session worker (queue "celery" without prefix) to take.
    assert broker.llen("pfx:celery") == 1
    assert broker.llen(f"pfx:celery{SEP}6") == 1
    assert broker.llen("celery") == 0
    if not worker_release.global_keyprefix:
        # kombu before 5.3 has no global_keyprefix: its workers read the unprefixed lists.
        broker.delete("pfx:celery", f"pfx:celery{SEP}6")
        return

    worker_factory(
        redis_server.url(databases.BROKER), config=transport, hostname="prefixed@%h", prefetch_multiplier=1
    )

    got = records.pop_many(2)
    assert [record["request"]["id"] for record in got] == sent
    assert {record["node"] for record in got} == {f"prefixed@{socket.gethostname()}"}
    assert broker.llen("pfx:celery") == broker.llen(f"pfx:celery{SEP}6") == 0
