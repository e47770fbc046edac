<?php

// tests/over_amqp/test_amqp_idle_failover.py: sends a task over the failover list
// CELERY_BROKER_URL (the first URL a proxy) with the config CB_CONFIG (JSON), asks the proxy
// (CB_CONTROL_PORT) to close every connection and stop listening, waits for its "closed", then
// sends a second task on the same CeleryClient. Prints a JSON list with {"id"} or
// {"error", "message"} per send.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\CeleryBridgeException;

$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$celery = new CeleryClient((string) getenv('CELERY_BROKER_URL'), config: $config);
$send = static function () use ($celery): array {
    try {
        return ['id' => $celery->sendTask('tasks.add', [1, 2])->id];
    } catch (CeleryBridgeException $e) {
        return ['error' => $e::class, 'message' => $e->getMessage()];
    }
};
$out = [$send()];
$control = stream_socket_client('tcp://127.0.0.1:' . getenv('CB_CONTROL_PORT'), $code, $message, 10.0);
// The proxy answers once it has closed both sides of every connection it carries.
fgets($control);
$out[] = $send();
echo json_encode($out);
