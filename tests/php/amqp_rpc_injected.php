<?php

// tests/over_amqp/test_amqp_rpc_injected.py: a CeleryClient given a connected php-amqplib
// connection as its broker, with rpc:// results. Sends add(1, 2) to CB_QUEUE (no worker), deletes
// the reply queue its reply_to names behind the client's back (on the application's own
// channel), then reads the task's state (RabbitMQ answers the basic.get with a 404) and sends a
// second task. Prints {"state", "second", "connected"}, a step failing as {"error", "message"}.
// Environment: CB_AMQP_PORT, CB_QUEUE.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';
require_once 'PhpAmqpLib/autoload.php';

use CeleryBridge\CeleryClient;
use PhpAmqpLib\Connection\AMQPStreamConnection;

$connection = new AMQPStreamConnection('127.0.0.1', (int) getenv('CB_AMQP_PORT'), 'guest', 'guest');
$celery = new CeleryClient($connection, 'rpc://');
$queue = (string) getenv('CB_QUEUE');
$first = $celery->sendTask('tasks.add', [1, 2], [], ['queue' => $queue]);
$mine = $connection->channel();
$task = $mine->basic_get($queue, true);
$mine->queue_delete((string) $task->get('reply_to'));
echo json_encode([
    'state' => outcome(static fn () => $first->state()),
    'second' => outcome(static fn () => $celery->sendTask('tasks.add', [3, 4], [], ['queue' => $queue])->id),
    'connected' => $connection->isConnected(),
]);
