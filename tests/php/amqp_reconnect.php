<?php

// tests/over_amqp/test_amqp_reconnect.py: on one CeleryClient over RabbitMQ (CELERY_BROKER_URL,
// amqp_client CB_AMQP_CLIENT), reads queueLength(QUEUE) and pings, asks the test (CB_CONTROL_PORT)
// to close every connection of the node, waits for its "closed", then reads and pings again.
// Prints JSON: [[length, ping], [length, ping]], or {"error", "message"} for a failed round.
//   php amqp_reconnect.php QUEUE

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\CeleryBridgeException;

$celery = new CeleryClient((string) getenv('CELERY_BROKER_URL'), config: ['amqp_client' => (string) getenv('CB_AMQP_CLIENT')]);
$round = static function () use ($celery, $argv): array {
    try {
        return [$celery->queueLength($argv[1]), (object) $celery->control()->ping(timeout: 0.5)];
    } catch (CeleryBridgeException $e) {
        return ['error' => $e::class, 'message' => $e->getMessage()];
    }
};
$out = [$round()];
$control = stream_socket_client('tcp://127.0.0.1:' . getenv('CB_CONTROL_PORT'), $code, $message, 30.0);
fgets($control);
$out[] = $round();
echo json_encode($out);
