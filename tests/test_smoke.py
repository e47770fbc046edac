"""First end-to-end proof: a task sent by PHP runs on the real Celery worker."""

from __future__ import annotations

from harness import CeleryWorker, Records


def test_php_send_task_runs_on_the_worker(worker: CeleryWorker, run_php, records: Records) -> None:
    sent = run_php(
        "$celery = new CeleryClient(broker: $brokerUrl);\n"
        "echo json_encode(['id' => $celery->sendTask('tasks.record', [2, 3], ['k' => 'v'])->id]);"
    ).json()

    record = records.pop()

    assert record["args"] == [2, 3]
    assert record["kwargs"] == {"k": "v"}
    assert record["arg_types"] == ["int", "int"]
    assert record["request"]["id"] == sent["id"]
    assert record["request"]["task"] == "tasks.record"
