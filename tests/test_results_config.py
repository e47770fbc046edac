"""Reading results from a worker with non-default result settings.

One Redis (with a password) and one worker for the whole module, configured like a demanding
deployment: task_track_started, result_extended, result_compression (5.7), a backend
global_keyprefix, result_expires, and broker and backend in different databases.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

import databases
from harness import CeleryWorker, RedisServer, gate_key, server_with_worker

BROKER_DB = databases.RESULTS_CONFIG_BROKER
BACKEND_DB = databases.RESULTS_CONFIG_BACKEND
PASSWORD = "p@ss:w/rd"
KEYPREFIX = "pfx"
EXPIRES = 600
WORKER_CONFIG: dict[str, Any] = {
    "task_track_started": True,
    "result_extended": True,
    "result_compression": "zlib",
    "result_backend_transport_options": {"global_keyprefix": KEYPREFIX},
    "result_expires": EXPIRES,
}
# The same settings, as the PHP client takes them (Celery's names).
PHP_CLIENT = (
    "$celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl, config: [\n"
    f"    'result_backend_transport_options' => ['global_keyprefix' => '{KEYPREFIX}'],\n"
    f"    'result_expires' => {EXPIRES},\n"
    "]);\n"
    "function out(mixed $data): void { echo json_encode($data, JSON_THROW_ON_ERROR); }\n"
)


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RedisServer, CeleryWorker]]:
    """A password-protected redis-server and a worker with WORKER_CONFIG on it."""
    server = RedisServer(tmp_path_factory.mktemp("redis-results-config"), password=PASSWORD)
    log = tmp_path_factory.mktemp("worker-results-config") / "worker.log"
    with server_with_worker(
        server, log, BROKER_DB, BACKEND_DB, config=WORKER_CONFIG, hostname="configured@%h"
    ) as worker:
        yield server, worker


@pytest.fixture
def php(configured: tuple[RedisServer, CeleryWorker], run_php) -> Any:
    """run_php against the configured server and worker, with PHP_CLIENT in front of the code."""
    server, _ = configured
    env = {"CELERY_BROKER_URL": server.url(BROKER_DB), "CELERY_RESULT_BACKEND": server.url(BACKEND_DB)}

    def run(code: str) -> Any:
        return run_php(PHP_CLIENT + code, env=env).json()

    def case(name: str) -> Any:
        """Run a case of tests/php/results_config.php, whose client has the same settings."""
        settings = {"CB_KEYPREFIX": KEYPREFIX, "CB_EXPIRES": str(EXPIRES)}
        return run_php.file("results_config.php", env={**env, **settings}, args=[name]).json()

    run.case = case  # type: ignore[attr-defined]
    return run


@pytest.fixture
def backend_db(configured: tuple[RedisServer, CeleryWorker]) -> Iterator[redis.Redis]:
    client = configured[0].client(BACKEND_DB)
    yield client
    client.close()


@pytest.fixture
def broker_db(configured: tuple[RedisServer, CeleryWorker]) -> Iterator[redis.Redis]:
    client = configured[0].client(BROKER_DB)
    yield client
    client.close()


def test_extended_compressed_prefixed_result(php, backend_db: redis.Redis) -> None:
    got = php.case("extended")

    assert got["value"] == 5
    assert got["state"] == "SUCCESS"
    assert (got["name"], got["args"], got["kwargs"]) == ("tasks.add", [2], {"y": 3})
    assert got["worker"].startswith("configured@")
    assert (got["retries"], got["queue"]) == (0, "celery")
    # What the worker stored: under the prefixed key, compressed, with result_expires as TTL.
    key = f"{KEYPREFIX}_celery-task-meta-{got['id']}"
    stored = backend_db.get(key)
    assert stored is not None
    assert stored.startswith(b"\x00celery-compressed\x00application/x-gzip\x00")
    assert 0 < backend_db.ttl(key) <= EXPIRES
    assert backend_db.exists(f"celery-task-meta-{got['id']}") == 0


def test_failure_read_from_a_compressed_result(php) -> None:
    got = php.case("compressed_failure")

    assert got == ["ValueError", ["zipped"], True]


def test_started_state_then_success(php, broker_db: redis.Redis) -> None:
    gate = gate_key()
    started = f"celerybridge:started:{uuid.uuid4()}"
    task_id = php(f"out($celery->sendTask('tasks.wait_for', ['{gate}', '{started}'])->id);")
    try:
        item = broker_db.blpop([started], timeout=10)
        assert item is not None, "the task did not start"
        pid = int(item[1])
        running = php(
            f"$r = $celery->result('{task_id}');\n"
            "out([$r->state(), $r->ready(), $r->result(), $r->dateDone()]);"
        )
        broker_db.rpush(gate, "finished")
        finished = php(f"$r = $celery->result('{task_id}'); out([$r->get(timeout: 10.0), $r->state()]);")
    finally:
        broker_db.delete(gate, started)

    state, ready, result, date_done = running
    assert (state, ready, date_done) == ("STARTED", False, None)
    assert result["pid"] == pid
    assert result["hostname"].startswith("configured@")
    assert finished == ["finished", "SUCCESS"]


def test_many_results_through_the_prefixed_channels(php, backend_db: redis.Redis) -> None:
    got = php.case("many_results")

    assert got == [{"n": i} for i in range(10)]
    assert json.loads(json.dumps(got)) == got
