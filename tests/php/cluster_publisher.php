<?php

// One of the publishers of `make cluster-test` (tests/cluster_failover.py): one CeleryClient on
// a failover list of RabbitMQ nodes (CELERY_BROKER_URL "amqp://a;amqp://b;amqp://c", round-robin,
// quorum queues, confirms on), sending CB_COUNT tasks tasks.record([CB_PROCESS, i]) one
// sendTask() at a time, at most CB_RATE per second. Each task id is chosen here (task_id), so the
// outcome of every send is known by id whatever happens. After each send one JSON line goes to
// CB_OUT (flushed, so the harness sees progress while it runs):
//   {"id", "outcome": "queued"|"unknown"|"failed", "time", "error", "error_ids"}
// "unknown" is PublishOutcomeUnknown (may or may not be queued: never resent), "failed" any other
// exception of ours (the library says: not queued). error_ids: the task ids the exception names
// (uncertainTaskIds() of PublishOutcomeUnknown, taskIds() of another ConnectionFailed).

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\PublishOutcomeUnknown;
use CeleryBridge\Wire\Uuid;

$process = (int) getenv('CB_PROCESS');
$count = (int) getenv('CB_COUNT');
$interval = 1.0 / max(1.0, (float) (getenv('CB_RATE') ?: 100));
$out = fopen((string) getenv('CB_OUT'), 'ab');

$celery = new CeleryClient(
    broker: (string) getenv('CELERY_BROKER_URL'),
    config: [
        'broker_failover_strategy' => 'round-robin',
        'task_default_queue_type' => 'quorum',
    ],
);

$next = microtime(true);
for ($i = 0; $i < $count; $i++) {
    $id = Uuid::v4();
    $line = ['id' => $id, 'outcome' => 'queued', 'error' => null, 'error_ids' => []];
    try {
        $celery->sendTask('tasks.record', [$process, $i], [], ['task_id' => $id]);
    } catch (PublishOutcomeUnknown $e) {
        $line = ['outcome' => 'unknown', 'error' => $e::class . ': ' . $e->getMessage(), 'error_ids' => $e->uncertainTaskIds()] + $line;
    } catch (ConnectionFailed $e) {
        $line = ['outcome' => 'failed', 'error' => $e::class . ': ' . $e->getMessage(), 'error_ids' => $e->taskIds()] + $line;
    } catch (CeleryBridgeException $e) {
        $line = ['outcome' => 'failed', 'error' => $e::class . ': ' . $e->getMessage()] + $line;
    }
    $line['time'] = microtime(true);
    fwrite($out, json_encode($line, JSON_THROW_ON_ERROR) . "\n");
    fflush($out);
    // A steady rate, so that the node is killed while every publisher is mid-run.
    $next += $interval;
    $wait = $next - microtime(true);
    if ($wait > 0) {
        usleep((int) ($wait * 1e6));
    }
}
fclose($out);
