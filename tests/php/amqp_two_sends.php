<?php

// Two sendTask() calls on one client, with a broker connection that RabbitMQ (a proxy in
// tests/over_amqp) drops after the first confirm: the second waits until the file CB_FLAG says
// the connection is gone, then sends. Prints one JSON line per call: {"id"} or {"error", "message"}.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\CeleryClient;

$celery = new CeleryClient($brokerUrl, null, ['task_publish_retry' => false]);
$flag = (string) getenv('CB_FLAG');
foreach ([1, 2] as $n) {
    if ($n === 2) {
        $deadline = microtime(true) + 10;
        while (!file_exists($flag) && microtime(true) < $deadline) {
            usleep(10_000);
        }
    }
    $options = ['queue' => (string) getenv('CB_QUEUE')];
    echo json_encode(outcome(static fn () => ['id' => $celery->sendTask('tasks.add', [$n, $n], [], $options)->id])), "\n";
}
