<?php

// Publishes one task message over RabbitMQ with php-amqplib, as the AMQP transport of issue 27
// will: built by MessageBuilder, mapped by Message\AmqpTaskMessage, its properties and header
// table encoded by Wire\Amqp (php-amqplib only frames and sends them), confirmed by the broker,
// mandatory so that an unroutable message comes back. Prints {"id", "returned"} as JSON.
// Environment: CB_AMQP_PORT, CB_QUEUE, CB_TASK, CB_ARGS and CB_KWARGS (JSON), CB_WITH_PRIORITY
// ("0": leave the priority property out, as Celery does for apply_async(queue=...)).
// tests/over_amqp/test_amqp_php_publish.py drives it.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';
require_once 'PhpAmqpLib/autoload.php';

use CeleryBridge\Canvas\Signature;
use CeleryBridge\Message\AmqpTaskMessage;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\MessageBuilder;
use CeleryBridge\Wire\Uuid;
use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Message\AMQPMessage;

$queue = (string) getenv('CB_QUEUE');
$args = json_decode((string) getenv('CB_ARGS'), true, 512, JSON_THROW_ON_ERROR);
$kwargs = json_decode((string) getenv('CB_KWARGS'), true, 512, JSON_THROW_ON_ERROR);
$id = Uuid::v4();
$message = (new MessageBuilder('php@' . gethostname(), Uuid::v4()))
    ->build(new Signature((string) getenv('CB_TASK'), $args, $kwargs), $id, new Delivery($queue), new \DateTimeImmutable(), 'unused');
$amqp = AmqpTaskMessage::fromTaskMessage($message, withPriority: getenv('CB_WITH_PRIORITY') !== '0');

// php-amqplib writes the content header from serialize_properties(): these are ours.
$frame = new class ($amqp->body, $amqp->properties->encode()) extends AMQPMessage {
    public function __construct(string $body, private readonly string $encoded)
    {
        parent::__construct($body);
    }

    public function serialize_properties() // phpcs:ignore PSR1.Methods.CamelCapsMethodName -- php-amqplib's name
    {
        return $this->encoded;
    }
};

$connection = new AMQPStreamConnection('127.0.0.1', (int) getenv('CB_AMQP_PORT'), 'guest', 'guest');
$channel = $connection->channel();
$channel->confirm_select();
$returned = false;
$channel->set_return_listener(static function () use (&$returned): void {
    $returned = true;
});
$channel->basic_publish($frame, $amqp->exchange, $amqp->routingKey, true);
$channel->wait_for_pending_acks_returns(10.0);
$channel->close();
$connection->close();
echo json_encode(['id' => $id, 'returned' => $returned]);
