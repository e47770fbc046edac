<?php

// The PHP side of tests/test_results_config.py: `php results_config.php CASE` reads results from
// a worker with non-default result settings, through a client with the same settings (the
// backend's global_keyprefix CB_KEYPREFIX, result_expires CB_EXPIRES).

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\TaskFailed;

$celery = new CeleryClient(
    broker: $brokerUrl,
    backend: $backendUrl,
    config: [
        'result_backend_transport_options' => ['global_keyprefix' => (string) getenv('CB_KEYPREFIX')],
        'result_expires' => (int) getenv('CB_EXPIRES'),
    ],
);

$cases = [
    // result_extended: the task's name, arguments, worker, retries and queue.
    'extended' => function () use ($celery): array {
        $r = $celery->sendTask('tasks.add', [2], ['y' => 3]);
        $value = $r->get(timeout: 10.0);
        return ['id' => $r->id, 'value' => $value, 'name' => $r->name(), 'args' => $r->args(), 'kwargs' => $r->kwargs(),
            'worker' => $r->worker(), 'retries' => $r->retries(), 'queue' => $r->queue(), 'state' => $r->state()];
    },
    'compressed_failure' => function () use ($celery): mixed {
        try {
            $celery->sendTask('tasks.fail', ['zipped'])->get(timeout: 10.0);
            return 'returned';
        } catch (TaskFailed $e) {
            $traceback = (string) $e->remoteTraceback();
            return [$e->remoteType(), $e->remoteArgs(), str_contains($traceback, 'ValueError: zipped')];
        }
    },
    'many_results' => function () use ($celery): array {
        $ids = [];
        for ($i = 0; $i < 10; $i++) {
            $ids[] = $celery->sendTask('tasks.identity', [['n' => $i]])->id;
        }
        return $celery->results($ids)->get(timeout: 10.0);
    },
];
echo json_encode($cases[$argv[1]](), JSON_THROW_ON_ERROR);
