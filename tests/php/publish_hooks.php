<?php

// The PHP side of tests/test_publish_hooks.py: `php publish_hooks.php CASE` publishes with
// before/after publish hooks (Celery's before_task_publish / after_task_publish) to
// CELERY_BROKER_URL and prints what the hooks saw.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';
require __DIR__ . '/CollectedLogger.php';

use CeleryBridge\Canvas\Chain;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Message\OutgoingTask;
use CeleryBridge\Tests\Php\CollectedLogger;

$cases = [
    'before_hook_adds_headers' => function () use ($brokerUrl): array {
        $celery = new CeleryClient(broker: $brokerUrl);
        $seen = [];
        $celery->beforePublish(function (OutgoingTask $task) use (&$seen) {
            $seen[] = [$task->id, $task->name, $task->queue, $task->routingKey, $task->rootId, $task->headers];
            return ['x-tenant' => 'acme', 'x-sent-as' => $task->id];
        });
        $result = $celery->sendTask('tasks.record', ['hooked'], [], ['headers' => ['x-own' => 1]]);
        return [$result->id, $seen];
    },
    'after_hook_sees_every_task' => function () use ($brokerUrl, $backendUrl): array {
        $celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
        $after = [];
        $celery->afterPublish(function (OutgoingTask $task) use (&$after) {
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
        return [$ids, $after];
    },
    // A before hook that throws, returns a reserved header, or returns no headers.
    'failing_before_hooks' => function () use ($brokerUrl): array {
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
        return [$errors, (new CeleryClient(broker: $brokerUrl))->queueLength('hooked')];
    },
    'failing_after_hook' => function () use ($brokerUrl, $backendUrl): mixed {
        $celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
        $celery->afterPublish(fn () => throw new RuntimeException('metrics down'));
        return $celery->sendTask('tasks.add', [2, 2])->get(timeout: 10.0);
    },
    // With a logger: the failing after hook is an error record (level, message, task_id, error).
    'failing_after_hook_logged' => function () use ($brokerUrl): array {
        $logger = new CollectedLogger();
        $celery = new CeleryClient(broker: $brokerUrl, logger: $logger);
        $celery->afterPublish(fn () => throw new RuntimeException('metrics down'));
        $id = $celery->sendTask('tasks.add', [2, 2])->id;
        $errors = array_filter($logger->records, fn ($r) => $r['level'] === 'error');
        return [$id, array_values(array_map(
            fn ($r) => [$r['level'], $r['message'], $r['context']['task_id'] ?? null, $r['context']['error'] ?? null],
            $errors,
        ))];
    },
];
echo json_encode($cases[$argv[1]]());
