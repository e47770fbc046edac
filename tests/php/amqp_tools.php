<?php

// Control and queue tools over RabbitMQ, on the PHP AMQP library CB_AMQP_CLIENT names
// (php-amqplib or ext-amqp), against the broker CB_AMQP_URL. Prints JSON.
//   php amqp_tools.php ping                        {node: reply} of control()->ping()
//   php amqp_tools.php inspect METHOD              {node: reply} of inspect(METHOD)
//   php amqp_tools.php revoke ID                   revoke()'s count (1: some worker heard it, 0: none)
//   php amqp_tools.php length QUEUE...             [length, ...]
//   php amqp_tools.php purge QUEUE                 [purged, length after]
//   php amqp_tools.php ping-404-ping NODE          [ping, length of a missing queue, ping]: RabbitMQ's
//                                                  404 closes the channel, the replies still come
// tests/over_amqp/test_amqp_control.py drives it.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';
require_once 'PhpAmqpLib/autoload.php';

use CeleryBridge\Broker\Amqp\AmqpQueues;
use CeleryBridge\Broker\Amqp\Channels;
use CeleryBridge\Broker\QueueInspector;
use CeleryBridge\Control\AmqpMailbox;
use CeleryBridge\Control\WorkerControl;

$channel = Channels::open((string) getenv('CB_AMQP_URL'), (string) getenv('CB_AMQP_CLIENT'));
$control = new WorkerControl(new AmqpMailbox($channel));
$queues = new QueueInspector(new AmqpQueues($channel));
$action = $argv[1];
$out = match ($action) {
    'ping' => (object) $control->ping(timeout: 3.0, destination: ($argv[2] ?? '') === '' ? null : [$argv[2]]),
    'inspect' => (object) $control->inspect($argv[2], timeout: 3.0, limit: 1),
    'revoke' => $control->revoke($argv[2]),
    'length' => array_map($queues->length(...), array_slice($argv, 2)),
    'ping-404-ping' => [
        (object) $control->ping(timeout: 3.0, destination: [$argv[2]]),
        $queues->length('no_such_queue'),
        (object) $control->ping(timeout: 3.0, destination: [$argv[2]]),
    ],
    'purge' => [$queues->purge($argv[2]), $queues->length($argv[2])],
};
$channel->close();
echo json_encode($out, JSON_PRESERVE_ZERO_FRACTION);
