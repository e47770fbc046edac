<?php

// Two sendTask() calls on one client, with a broker connection that RabbitMQ (a proxy in
// tests/over_amqp) drops after the first confirm: the second waits until the file CB_FLAG says
// the connection is gone, then sends. Prints one JSON line per call: {"id"} or {"error", "message"}.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\CeleryBridgeException;

$celery = new CeleryClient((string) getenv('CELERY_BROKER_URL'), null, ['task_publish_retry' => false]);
$flag = (string) getenv('CB_FLAG');
foreach ([1, 2] as $n) {
    if ($n === 2) {
        $deadline = microtime(true) + 10;
        while (!file_exists($flag) && microtime(true) < $deadline) {
            usleep(10_000);
        }
    }
    try {
        echo json_encode(['id' => $celery->sendTask('tasks.add', [$n, $n], [], ['queue' => (string) getenv('CB_QUEUE')])->id]), "\n";
    } catch (CeleryBridgeException $e) {
        echo json_encode(['error' => $e::class, 'message' => $e->getMessage()]), "\n";
    }
}
