<?php

// tests/over_amqp/test_amqp_idle_failover.py and test_amqp_idle_close.py: sends a task over
// CELERY_BROKER_URL with the config CB_CONFIG (JSON), asks the test (CB_CONTROL_PORT) to close
// the connection (a proxy that stops listening, or rabbitmqctl), waits for its "closed" and sits
// idle for IdleConnection::CHECK_AFTER, then sends a second task on the same CeleryClient.
// Prints a JSON list with {"id"} or {"error", "message"} per send.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Connection\Amqp\IdleConnection;

$config = json_decode((string) getenv('CB_CONFIG'), true, 512, JSON_THROW_ON_ERROR);
$celery = new CeleryClient($brokerUrl, config: $config);
$send = static fn () => outcome(static fn () => ['id' => $celery->sendTask('tasks.add', [1, 2])->id]);
$out = [$send()];
// The answer comes once every connection of the client is closed.
await_test(10.0);
// Idle as long as ext-amqp's check waits for (it gives no socket to look at: the check costs
// thousands of instructions and runs only on a connection idle this long, IdleConnection).
usleep((int) (IdleConnection::CHECK_AFTER * 1e6));
$out[] = $send();
echo json_encode($out);
