<?php

// tests/test_results.py: FAILUREs a worker stores on a task's behalf (WorkerLostError,
// TimeLimitExceeded, and from Celery 5.7 a Reject), read from PHP on queue "lost";
// CB_REJECT_WAIT is how long to wait for the rejected task.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';
require __DIR__ . '/result_view.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\TaskFailed;

$celery = new CeleryClient($brokerUrl, $backendUrl, config: ['task_default_queue' => 'lost']);
// A killed pool process takes a moment to be replaced: the rejected task goes first.
$rejected = $celery->sendTask('tasks.reject');
$lost = $celery->sendTask('tasks.die');
$limited = $celery->sendTask('tasks.sleep', [30], [], ['time_limit' => 0.3]);
$out = [];
foreach (['lost' => $lost, 'limited' => $limited] as $name => $r) {
    $e = thrown(fn () => $r->get(timeout: 20.0), TaskFailed::class);
    $out[$name] = $e === null ? 'returned' : failure($e) + ['state' => $r->state()];
}
try {
    $rejected->get(timeout: (float) getenv('CB_REJECT_WAIT'));
} catch (TaskFailed | ResultTimeout $e) {
    $out['rejected'] = failure($e) + ['state' => $rejected->state()];
}
out($out);
