"""Issue 9: nothing malformed reaches Redis. User data shaped like a kombu type marker with a
value kombu cannot decode (which makes a worker drop the task, or exit when it sits in the
headers) and task_routes globs that do not compile are refused before any write; a real worker
keeps running and executes the next task."""

from __future__ import annotations

import json

import pytest
from celery import Celery

import databases
from harness import CeleryWorker, RedisServer
from versions import WorkerVersions
from waiting import until
from wire import wait_for_meta

BAD_MARKERS = [
    {"__type__": "bytes", "__value__": 5},
    {"__type__": "decimal", "__value__": "abc"},
    {"__type__": "uuid", "__value__": "zz"},
    {"__type__": "uuid", "__value__": {"hex": "zz"}},
    {"__type__": "datetime", "__value__": "now"},
    {"__type__": "datetime", "__value__": "garbage"},
    {"__type__": "datetime", "__value__": "2030-01-01T00:00:00Z"},
    {"__type__": "date", "__value__": "2030-13-01"},
    {"__type__": "time", "__value__": "25:00"},
    {"__type__": "base64", "__value__": "a"},
    {"__type__": "set", "__value__": [1]},
    # Issue 23: what the old check let through, and kombu cannot decode.
    {"__type__": "uuid", "__value__": {"hex": "1234{5678-1234-5678-1234-567812345678}"}},
    {"__type__": "uuid", "__value__": {"hex": "URN:UUID:12345678-1234-5678-1234-567812345678"}},
    {"__type__": "decimal", "__value__": "1e99999999999999999999"},
    {"__type__": "base64", "__value__": "QUJ"},
]
PLACES = ["args", "kwargs", "kwargs_itself", "headers", "stamps", "link_kwargs"]



def test_bad_markers_and_globs_are_refused_before_any_write(
    worker: CeleryWorker, redis_server: RedisServer, run_php, python_celery: Celery
) -> None:
    cases = [[place, marker] for place in PLACES for marker in BAD_MARKERS]
    # The worker runs one task at a time, in order: once this result is stored, so are those of
    # the tasks earlier tests sent, whose late result writes would otherwise count below.
    assert python_celery.send_task("tasks.add", args=[0, 0]).get(timeout=10) == 0
    broker = redis_server.client(databases.BROKER)
    keys_before = set(broker.keys())
    writes_before = redis_server.publish_write_calls()

    out = run_php.file("hostile_markers.php", env={"CB_CASES": json.dumps(cases)}).json()

    assert len(out) == len(cases) + 2
    refused = [line for line in out if line.startswith("ours: ")]
    assert refused == out, [line for line in out if not line.startswith("ours: ")]
    assert all("compilation failed" in line.lower() for line in out[-2:])
    # Not one message (or any other publish write) reached Redis, and no key appeared.
    assert redis_server.publish_write_calls() == writes_before
    assert set(broker.keys()) == keys_before
    # The worker is alive and runs the next task.
    assert run_php("echo json_encode((new CeleryClient($brokerUrl, $backendUrl))"
                   "->sendTask('tasks.add', [2, 3])->get(timeout: 10.0));").json() == 5


@pytest.mark.parametrize("marker", [
    {"__type__": "datetime", "__value__": "2030-01-02T03:04:05.678901+00:00"},
    {"__type__": "decimal", "__value__": "1.50"},
    {"__type__": "uuid", "__value__": {"hex": "12345678123456781234567812345678"}},
])
def test_valid_markers_still_reach_the_worker(
    worker: CeleryWorker, run_php, redis_server: RedisServer, marker: dict, worker_release: WorkerVersions
) -> None:
    """The check refuses only what kombu cannot decode: valid markers arrive as Python values
    (kombu before 5.3 decodes no markers: there they arrive as the dicts that were sent)."""
    task_id = run_php(
        "$celery = new CeleryClient($brokerUrl, $backendUrl);"
        f"$m = json_decode('{json.dumps(marker)}', true);"
        "echo json_encode($celery->sendTask('tasks.echo', [$m])->id);"
    ).json()
    # Read as plain JSON: from an old kombu, the echoed dict would itself look like a marker.
    echoed = wait_for_meta(redis_server.client(databases.BACKEND), task_id)["result"]
    if worker_release.kombu_markers:
        expected = {"datetime": "datetime", "decimal": "Decimal", "uuid": "UUID"}[marker["__type__"]]
        assert echoed["arg_types"] == [expected]
    else:
        assert echoed["args"] == [marker]


# Issue 23.2: markers the old check sent although kombu cannot decode them.
HEADER_KILLERS = {
    "uuid with a brace inside": {
        "__type__": "uuid",
        "__value__": {"hex": "1234{5678-1234-5678-1234-567812345678}"},
    },
    "decimal beyond libmpdec": {"__type__": "decimal", "__value__": "1e99999999999999999999"},
    "unpadded base64": {"__type__": "base64", "__value__": "QUJ"},
}


@pytest.mark.parametrize("name", list(HEADER_KILLERS))
def test_a_header_marker_that_stops_a_worker_is_refused_before_any_write(
    redis_factory, worker_factory, run_php, worker_release: WorkerVersions, name: str
) -> None:
    """In a custom header, each of these markers stops the worker that reads it (Python sends it
    here to show that); PHP refuses it and writes nothing."""
    marker = HEADER_KILLERS[name]
    server = redis_factory()
    worker = worker_factory(server.url(databases.BROKER), server.url(databases.BACKEND))
    writes_before = server.publish_write_calls()

    out = run_php(
        f"$m = json_decode('{json.dumps(marker)}', true);"
        "try { (new CeleryClient($brokerUrl))->sendTask('tasks.add', [1, 2], [], ['headers' => ['h' => $m]]);"
        " echo json_encode('published'); }"
        " catch (CeleryBridge\\Exception\\CeleryBridgeException $e) { echo json_encode($e->getMessage()); }",
        env={
            "CELERY_BROKER_URL": server.url(databases.BROKER),
            "CELERY_RESULT_BACKEND": server.url(databases.BACKEND),
        },
    ).json()

    assert "marker that the worker cannot decode" in out
    assert server.publish_write_calls() == writes_before
    assert server.client(databases.BROKER).llen("celery") == 0
    assert worker.running
    if not worker_release.kombu_markers:
        return  # kombu before 5.3 decodes no markers: there the header is a plain dict.
    # The same header from Python's own send_task: the worker dies decoding the message.
    app = Celery("sender", broker=server.url(databases.BROKER), set_as_current=False)
    try:
        app.send_task("tasks.add", (1, 2), headers={"h": marker})
    finally:
        app.close()
    until(lambda: not worker.running, 30, "the worker to exit on a marker kombu cannot decode", interval=0.1)
    assert "object_hook" in worker.log_text()
