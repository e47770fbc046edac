"""Issue 9: nothing malformed reaches Redis. User data shaped like a kombu type marker with a
value kombu cannot decode (which makes a worker drop the task, or exit when it sits in the
headers) and task_routes globs that do not compile are refused before any write; a real worker
keeps running and executes the next task."""

from __future__ import annotations

import json

import pytest
from celery import Celery

from harness import CeleryWorker, RedisServer
from versions import WorkerVersions
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
]
PLACES = ["args", "kwargs", "kwargs_itself", "headers", "link_kwargs"]



def test_bad_markers_and_globs_are_refused_before_any_write(
    worker: CeleryWorker, redis_server: RedisServer, run_php, python_celery: Celery
) -> None:
    cases = [[place, marker] for place in PLACES for marker in BAD_MARKERS]
    # The worker runs one task at a time, in order: once this result is stored, so are those of
    # the tasks earlier tests sent, whose late result writes would otherwise count below.
    assert python_celery.send_task("tasks.add", args=[0, 0]).get(timeout=10) == 0
    broker = redis_server.client(0)
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
    echoed = wait_for_meta(redis_server.client(1), task_id)["result"]
    if worker_release.kombu_markers:
        expected = {"datetime": "datetime", "decimal": "Decimal", "uuid": "UUID"}[marker["__type__"]]
        assert echoed["arg_types"] == [expected]
    else:
        assert echoed["args"] == [marker]
