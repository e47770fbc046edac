<?php

// tests/over_amqp/test_amqp_idle_failover.py: sends a task over the failover list
// CELERY_BROKER_URL (the first URL a proxy) with the config CB_CONFIG (JSON), asks the proxy
// (CB_CONTROL_PORT) to close every connection and stop listening, waits for its "closed", then
// sends a second task on the same CeleryClient. Prints a JSON list with {"id"} or
// {"error", "message"} per send.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\CeleryClient;

$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$celery = new CeleryClient($brokerUrl, config: $config);
$send = static fn () => outcome(static fn () => ['id' => $celery->sendTask('tasks.add', [1, 2])->id]);
$out = [$send()];
// The proxy answers once it has closed both sides of every connection it carries.
await_test(10.0);
$out[] = $send();
echo json_encode($out);
