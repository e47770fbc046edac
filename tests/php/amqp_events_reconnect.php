<?php

// tests/over_amqp/test_amqp_reconnect.py: an event stream (worker-heartbeat) of a CeleryClient over
// RabbitMQ (CELERY_BROKER_URL, amqp_client CB_AMQP_CLIENT) is opened, the test (CB_CONTROL_PORT)
// closes every connection of the node and answers "closed", then the stream is read: prints
// [type, hostname] of the first event, or {"error", "message"}.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\CeleryBridgeException;

$celery = new CeleryClient((string) getenv('CELERY_BROKER_URL'), config: ['amqp_client' => (string) getenv('CB_AMQP_CLIENT')]);
$stream = $celery->events(timeout: 60.0, types: ['worker-heartbeat']);
$control = stream_socket_client('tcp://127.0.0.1:' . getenv('CB_CONTROL_PORT'), $code, $message, 30.0);
fgets($control);
$out = null;
try {
    foreach ($stream as $event) {
        $out = [$event->type(), $event->hostname()];
        break;
    }
} catch (CeleryBridgeException $e) {
    $out = ['error' => $e::class, 'message' => $e->getMessage()];
}
$stream->close();
echo json_encode($out);
