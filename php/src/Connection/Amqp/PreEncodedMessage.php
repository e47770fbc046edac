<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use PhpAmqpLib\Message\AMQPMessage;

/**
 * A message for php-amqplib whose content header properties are already encoded (by
 * Wire\Amqp\BasicProperties, with Celery's exact field types): php-amqplib writes the frame
 * header and splits the body, and takes the property bytes from serialize_properties().
 * Its place among the publishes since the last wait for confirms names it to the nack handler
 * (php-amqplib hands back the message object; a task id may be in a batch twice).
 *
 * @internal
 */
final class PreEncodedMessage extends AMQPMessage
{
    public function __construct(string $body, private readonly string $encoded, public readonly int $place = 0)
    {
        parent::__construct($body);
    }

    public function serialize_properties() // phpcs:ignore PSR1.Methods.CamelCapsMethodName -- php-amqplib's name
    {
        return $this->encoded;
    }
}
