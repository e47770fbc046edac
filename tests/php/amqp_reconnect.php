<?php

// tests/over_amqp/test_amqp_reconnect.py: on one CeleryClient over RabbitMQ (CELERY_BROKER_URL,
// amqp_client CB_AMQP_CLIENT), reads queueLength(QUEUE) and pings, asks the test (CB_CONTROL_PORT)
// to close every connection of the node, waits for its "closed", then reads and pings again.
// Prints JSON: [[length, ping], [length, ping]], or {"error", "message"} for a failed round.
//   php amqp_reconnect.php QUEUE

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\CeleryClient;

$celery = new CeleryClient($brokerUrl, config: ['amqp_client' => (string) getenv('CB_AMQP_CLIENT')]);
$round = static fn () => outcome(
    static fn () => [$celery->queueLength($argv[1]), (object) $celery->control()->ping(timeout: 0.5)],
);
$out = [$round()];
await_test(30.0);
$out[] = $round();
echo json_encode($out);
