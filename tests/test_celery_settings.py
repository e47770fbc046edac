"""Issue 12: a Python project's celeryconfig passed to CeleryClient as it is.

Every setting name Celery knows is accepted (php/src/Config/CelerySettings.php lists them, from
the pinned Celery); broker_url and result_backend stand in for the constructor arguments; the
content settings are checked against what CeleryBridge writes; a typo still fails, with a
suggestion.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness import CeleryWorker, RedisServer

ROOT = Path(__file__).resolve().parent.parent

# The configuration example of Celery's documentation ("Configuration and defaults"), with the
# project's Redis URLs in place of its placeholders.
CELERYCONFIG = {
    "broker_url": None,
    "result_backend": None,
    "imports": ["myapp.tasks"],
    "task_serializer": "json",
    "result_serializer": "json",
    "accept_content": ["json"],
    "timezone": "Europe/Oslo",
    "enable_utc": True,
    "task_routes": {"tasks.mul": "low-priority"},
    "task_annotations": {"tasks.add": {"rate_limit": "10/s"}},
    "task_track_started": True,
    "result_extended": True,
    "task_acks_late": True,
    "worker_prefetch_multiplier": 1,
    "worker_concurrency": 4,
    "broker_connection_retry_on_startup": True,
}

PHP = r"""
$config = json_decode(getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
try {
    $celery = new CeleryClient(config: $config);
    echo json_encode(['value' => $celery->sendTask('tasks.add', [2, 3])->get(timeout: 10.0)]);
} catch (CeleryBridge\Exception\InvalidConfiguration $e) {
    echo json_encode(['error' => $e->getMessage()]);
}
"""


def run(run_php, config: dict) -> dict:
    return run_php(PHP, env={"CB_CONFIG": json.dumps(config)}).json()


def test_a_celeryconfig_from_celerys_docs_works_unchanged(
    worker: CeleryWorker, run_php, redis_server: RedisServer
) -> None:
    config = {**CELERYCONFIG, "broker_url": redis_server.url(0), "result_backend": redis_server.url(1)}

    assert run(run_php, config) == {"value": 5}


def test_typos_and_content_settings_that_cannot_work_are_refused(run_php, redis_server: RedisServer) -> None:
    base = {"broker_url": redis_server.url(0)}

    typo = run(run_php, {**base, "task_serialiser": "json"})["error"]
    assert 'Unknown setting "task_serialiser". Did you mean "task_serializer"?' in typo
    assert "pickle" in run(run_php, {**base, "result_serializer": "pickle"})["error"]
    refused = run(run_php, {**base, "accept_content": ["pickle"]})["error"]
    assert 'accept_content must include "json"' in refused
    assert "No broker" in run(run_php, {"task_default_queue": "celery"})["error"]


def test_the_settings_list_is_the_pinned_celerys() -> None:
    fresh = subprocess.run(
        [sys.executable, str(ROOT / "tests/tools/generate_celery_settings.py")],
        check=True, capture_output=True, text=True,
    ).stdout
    assert fresh == (ROOT / "php/src/Config/CelerySettings.php").read_text()
