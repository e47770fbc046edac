<?php

// The PHP side of tests/test_central_reporting.py: `php central_reporting.php CASE` makes the
// worker log errors: a task name it does not know (with CB_SECRET in its arguments), a task
// that fails, and a last unknown task that marks the end of the log.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\TaskFailed;

$cases = [
    'unknown' => function () use ($brokerUrl, $backendUrl): void {
        $secret = (string) getenv('CB_SECRET');
        $celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
        $result = $celery->sendTask('tasks.typo_nope', [$secret, 1], ['token' => $secret]);
        try {
            $result->get(timeout: 15.0);
            echo json_encode(['type' => 'ran']);
        } catch (TaskFailed $e) {
            echo json_encode(['type' => $e->remoteType(), 'id' => $result->id]);
        }
    },
    'failing' => function () use ($brokerUrl, $backendUrl): void {
        $celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
        try {
            $celery->sendTask('tasks.fail', ['boom-central'])->get(timeout: 15.0);
        } catch (TaskFailed $e) {
            echo json_encode($e->remoteType());
        }
    },
    'sentinel' => function () use ($brokerUrl): void {
        (new CeleryClient(broker: $brokerUrl))->sendTask('tasks.sentinel_unknown');
    },
];
$cases[$argv[1]]();
