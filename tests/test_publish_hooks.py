"""Publish hooks (Celery's before_task_publish / after_task_publish) on a real worker."""

from __future__ import annotations

from harness import CeleryWorker, Records
from versions import WorkerVersions


def test_a_before_hook_adds_headers_the_task_sees(
    worker: CeleryWorker, run_php, records: Records, worker_release: WorkerVersions
) -> None:
    seen = run_php(
        """
$celery = new CeleryClient(broker: $brokerUrl);
$seen = [];
$celery->beforePublish(function (CeleryBridge\\Message\\OutgoingTask $task) use (&$seen) {
    $seen[] = [$task->id, $task->name, $task->queue, $task->routingKey, $task->rootId, $task->headers];
    return ['x-tenant' => 'acme', 'x-sent-as' => $task->id];
});
$result = $celery->sendTask('tasks.record', ['hooked'], [], ['headers' => ['x-own' => 1]]);
echo json_encode([$result->id, $seen]);
"""
    ).json()

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
    outcome = run_php(
        """
use CeleryBridge\\Canvas\\{Signature, Chain};
$celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
$after = [];
$celery->afterPublish(function (CeleryBridge\\Message\\OutgoingTask $task) use (&$after) {
    $after[] = [$task->id, $task->name, $task->queue];
});
$ids = [
    $celery->sendTask('tasks.add', [1, 2])->id,
    $celery->sendTask('tasks.add', [1, 2], [], ['queue' => 'celery', 'priority' => 3])->id,
    $celery->send(new Chain(new Signature('tasks.add', [1, 1]), new Signature('tasks.mul', [3])))->parent->id,
    ...array_map(
        fn ($r) => $r->id,
        $celery->sendMany([new Signature('tasks.add', [1, 1]), new Signature('tasks.mul', [2, 2])]),
    ),
];
echo json_encode([$ids, $after]);
"""
    ).json()

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
    outcome = run_php(
        """
$errors = [];
$hooks = [
    fn () => throw new RuntimeException('no tenant'),
    fn () => ['id' => 'forged'],
    fn () => 'not headers',
];
foreach ($hooks as $hook) {
    $celery = new CeleryClient(broker: $brokerUrl, config: ['task_default_queue' => 'hooked']);
    $celery->beforePublish($hook);
    try {
        $celery->sendTask('tasks.add', [1, 2]);
        $errors[] = null;
    } catch (Throwable $e) {
        $errors[] = [get_class($e), $e->getMessage()];
    }
}
echo json_encode([$errors, (new CeleryClient(broker: $brokerUrl))->queueLength('hooked')]);
"""
    ).json()

    errors, waiting = outcome
    assert errors[0] == ["RuntimeException", "no tenant"]
    assert errors[1][0] == "CeleryBridge\\Exception\\InvalidOption" and '"id"' in errors[1][1]
    assert errors[2][0] == "CeleryBridge\\Exception\\InvalidOption"
    assert waiting == 0


def test_a_failing_after_hook_never_fails_the_publish(worker: CeleryWorker, run_php) -> None:
    result = run_php(
        """
$celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
$celery->afterPublish(fn () => throw new RuntimeException('metrics down'));
echo json_encode($celery->sendTask('tasks.add', [2, 2])->get(timeout: 10.0));
""",
        allow_warnings=True,
    )

    assert result.json() == 4
    assert "an after-publish hook failed for task" in result.stderr and "metrics down" in result.stderr


def test_a_failing_after_hook_is_logged_as_an_error(worker: CeleryWorker, run_php) -> None:
    result = run_php(
        """
require_once '/usr/share/php/Psr/Log/autoload.php';
$logger = new class () extends Psr\\Log\\AbstractLogger {
    public array $records = [];
    public function log($level, $message, array $context = []): void
    {
        $this->records[] = [$level, $message, $context['task_id'] ?? null, $context['error'] ?? null];
    }
};
$celery = new CeleryClient(broker: $brokerUrl, logger: $logger);
$celery->afterPublish(fn () => throw new RuntimeException('metrics down'));
$id = $celery->sendTask('tasks.add', [2, 2])->id;
echo json_encode([$id, array_values(array_filter($logger->records, fn ($r) => $r[0] === 'error'))]);
"""
    )

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
