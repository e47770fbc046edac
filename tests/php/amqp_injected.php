<?php

// A CeleryClient given a connected php-amqplib connection as its broker (no URL): it publishes
// on that connection. Prints {"id"}. Environment: CB_AMQP_PORT, CB_QUEUE.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';
require_once 'PhpAmqpLib/autoload.php';

use CeleryBridge\CeleryClient;
use PhpAmqpLib\Connection\AMQPStreamConnection;

$connection = new AMQPStreamConnection('127.0.0.1', (int) getenv('CB_AMQP_PORT'), 'guest', 'guest');
$celery = new CeleryClient($connection);
$result = $celery->sendTask('tasks.add', [1, 2], [], ['queue' => (string) getenv('CB_QUEUE')]);
echo json_encode(['id' => $result->id]);
