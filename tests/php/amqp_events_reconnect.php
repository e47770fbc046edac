<?php

// tests/over_amqp/test_amqp_reconnect.py: an event stream (worker-heartbeat) of a CeleryClient over
// RabbitMQ (CELERY_BROKER_URL, amqp_client CB_AMQP_CLIENT) is opened, the test (CB_CONTROL_PORT)
// closes every connection of the node and answers "closed", then the stream is read: prints
// [type, hostname] of the first event, or {"error", "message"}.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\CeleryClient;

$celery = new CeleryClient($brokerUrl, config: ['amqp_client' => (string) getenv('CB_AMQP_CLIENT')]);
$stream = $celery->events(timeout: 60.0, types: ['worker-heartbeat']);
await_test(30.0);
$out = outcome(static function () use ($stream): ?array {
    foreach ($stream as $event) {
        return [$event->type(), $event->hostname()];
    }
    return null;
});
$stream->close();
echo json_encode($out);
