"""Publish hooks (Celery's before_task_publish / after_task_publish) on a real worker."""

from __future__ import annotations

from harness import CeleryWorker, Records
from versions import WorkerVersions


def test_a_before_hook_adds_headers_the_task_sees(
    worker: CeleryWorker, run_php, records: Records, worker_release: WorkerVersions
) -> None:
    seen = run_php.file("publish_hooks.php", args=["before_hook_adds_headers"]).json()

    task_id, [hook_saw] = seen
    assert hook_saw == [task_id, "tasks.record", "celery", "celery", task_id, {"x-own": 1}]
    record = records.pop()
    assert record["args"] == ["hooked"]
    if worker_release.custom_headers_in_request_headers:
        headers = record["request"]["headers"]
    else:
        headers = record["request_vars"]
    assert {k: headers.get(k) for k in ("x-tenant", "x-sent-as", "x-own")} == {
        "x-tenant": "acme",
        "x-sent-as": task_id,
        "x-own": 1,
    }


def test_the_after_hook_sees_every_published_task_once(worker: CeleryWorker, run_php) -> None:
    outcome = run_php.file("publish_hooks.php", args=["after_hook_sees_every_task"]).json()

    ids, after = outcome
    # The chain's later step is published by the worker, not by PHP: one call for its first step.
    assert after == [
        [ids[0], "tasks.add", "celery"],
        [ids[1], "tasks.add", "celery"],
        [ids[2], "tasks.add", "celery"],
        [ids[3], "tasks.add", "celery"],
        [ids[4], "tasks.mul", "celery"],
    ]


def test_a_failing_before_hook_or_a_reserved_header_writes_nothing(redis_server, run_php) -> None:
    outcome = run_php.file("publish_hooks.php", args=["failing_before_hooks"]).json()

    errors, waiting = outcome
    assert errors[0] == ["RuntimeException", "no tenant"]
    assert errors[1][0] == "CeleryBridge\\Exception\\InvalidOption" and '"id"' in errors[1][1]
    assert errors[2][0] == "CeleryBridge\\Exception\\InvalidOption"
    assert waiting == 0


def test_a_failing_after_hook_never_fails_the_publish(worker: CeleryWorker, run_php) -> None:
    result = run_php.file("publish_hooks.php", args=["failing_after_hook"], allow_warnings=True)

    assert result.json() == 4
    assert "an after-publish hook failed for task" in result.stderr and "metrics down" in result.stderr


def test_a_failing_after_hook_is_logged_as_an_error(worker: CeleryWorker, run_php) -> None:
    result = run_php.file("publish_hooks.php", args=["failing_after_hook_logged"])

    task_id, errors = result.json()
    assert errors == [
        [
            "error",
            "CeleryBridge: an after-publish hook failed for task {task_id}: {error}",
            task_id,
            "metrics down",
        ]
    ]
    assert result.stderr == ""
