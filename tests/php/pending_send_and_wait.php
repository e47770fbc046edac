<?php

// tests/test_pending.py: sends CB_TASK (tasks.add) with CB_ARGS (JSON, [1, 2]) to CB_QUEUE, waits
// until a worker took it when CB_WAIT_TAKEN is set, then get() for 0.3 s; prints the outcome
// and the timeout's message and states.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\Exception\ResultTimeout;

$celery = client_from_env();
$queue = getenv('CB_QUEUE');
$result = $celery->sendTask(
    getenv('CB_TASK') ?: 'tasks.add',
    json_decode(getenv('CB_ARGS') ?: '[1, 2]'),
    options: ['queue' => $queue],
);
if (getenv('CB_WAIT_TAKEN')) {
    // Until a worker has taken the message off the queue (an event, polled).
    $deadline = microtime(true) + 20;
    while ($celery->queueLength($queue) > 0 && microtime(true) < $deadline) {
        usleep(10000);
    }
}
try {
    $result->get(timeout: 0.3);
    echo json_encode(['outcome' => 'returned']);
} catch (ResultTimeout $e) {
    echo json_encode(['outcome' => 'timeout', 'message' => $e->getMessage(), 'states' => $e->states]);
}
