<?php

// The PHP side of tests/test_event_stream.py: `php event_stream.php CASE` reads Celery's event
// stream on CELERY_BROKER_URL (results on CELERY_RESULT_BACKEND) and prints what it saw.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Events\TaskEvent;
use CeleryBridge\Events\WorkerEvent;
use CeleryBridge\Wire\Uuid;

$cases = [
    // Two tasks (one fails) from send to their end, with task-sent from this client.
    'task_lifecycle' => function () use ($brokerUrl, $backendUrl): void {
        $config = ['task_send_sent_event' => true];
        $celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl, config: $config);
        $ids = [];
        $finished = 0;
        $done = function ($e) use (&$ids, &$finished): bool {
            if (
                $e instanceof TaskEvent && in_array($e->taskId, $ids, true)
                && in_array($e->type, ['task-succeeded', 'task-failed'], true)
            ) {
                $finished++;
            }
            return $finished === 2;
        };
        $stream = $celery->events(timeout: 60.0, until: $done);
        // Subscribed before sending: nothing published from now on is missed.
        $ids[] = $celery->sendTask('tasks.add', [2, 3])->id;
        $ids[] = $celery->sendTask('tasks.fail', ['boom'])->id;
        $seen = [];
        foreach ($stream as $e) {
            if ($e instanceof TaskEvent && in_array($e->taskId, $ids, true)) {
                $seen[] = [$e->taskId === $ids[0] ? 'add' : 'fail', $e->type, $e->name, $e->args, $e->result,
                    $e->exception, $e->hostname, $e->timestamp?->format('U')];
            }
        }
        echo json_encode($seen);
    },
    // control()->heartbeat() and a task revoked before it is sent.
    'heartbeat_and_revoked' => function () use ($brokerUrl, $backendUrl): void {
        $celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
        $seen = [];
        $both = function ($e) use (&$seen): bool {
            $seen[$e->type] = true;
            return count($seen) === 2;
        };
        $stream = $celery->events(timeout: 60.0, types: ['worker-heartbeat', 'task-revoked'], until: $both);
        $celery->control()->heartbeat();
        // Revoked first (the worker lists it once it has heard), then sent: the worker drops it on
        // receipt and sends task-revoked.
        $id = Uuid::v4();
        $celery->revoke($id);
        $deadline = microtime(true) + 20;
        do {
            $known = in_array($id, current($celery->control()->revoked()) ?: [], true);
        } while (!$known && microtime(true) < $deadline);
        $celery->sendTask('tasks.add', [1, 1], options: ['task_id' => $id]);
        $out = [];
        foreach ($stream as $e) {
            $out[] = $e instanceof WorkerEvent
                ? ['worker', $e->type, $e->hostname, $e->frequency]
                : ['task', $e->type, $e instanceof TaskEvent && $e->taskId === $id, $e->fields()['expired'] ?? null];
        }
        echo json_encode($out);
    },
    // tasks.retry_plain retries until its gate exists: opened on the first task-retried.
    'retried' => function () use ($brokerUrl, $backendUrl): void {
        $gates = redis_at($brokerUrl);
        $celery = new CeleryClient(broker: $brokerUrl, backend: $backendUrl);
        $ids = [];
        $stream = $celery->events(timeout: 60.0, until: function ($e) use (&$ids): bool {
            return $e instanceof TaskEvent && $e->type === 'task-succeeded' && in_array($e->taskId, $ids, true);
        });
        $gate = 'events-gate-' . bin2hex(random_bytes(4));
        $ids = [$celery->sendTask('tasks.retry_plain', [$gate, 'v'])->id];
        $seen = [];
        foreach ($stream as $e) {
            if ($e instanceof TaskEvent && in_array($e->taskId, $ids, true)) {
                $seen[] = [array_search($e->taskId, $ids, true), $e->type, $e->exception];
                if ($e->type === 'task-retried') {
                    $gates->set($gate, '1');
                }
            }
        }
        $gates->del($gate);
        echo json_encode($seen);
    },
    // One line once subscribed, then one JSON line per worker event until worker-offline.
    'watch_workers' => function () use ($brokerUrl): void {
        $celery = new CeleryClient(broker: $brokerUrl);
        $stream = $celery->events(timeout: 60.0, until: fn ($e) => $e->type === 'worker-offline');
        echo "subscribed\n";
        foreach ($stream as $e) {
            if ($e instanceof WorkerEvent) {
                echo json_encode([$e->type, $e->hostname, $e->frequency, $e->software]), "\n";
            }
        }
    },
];
$cases[$argv[1]]();
