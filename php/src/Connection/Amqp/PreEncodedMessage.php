<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use PhpAmqpLib\Message\AMQPMessage;

/**
 * A message for php-amqplib whose content header properties are already encoded (by
 * Wire\Amqp\BasicProperties, with Celery's exact field types): php-amqplib writes the frame
 * header and splits the body, and takes the property bytes from serialize_properties().
 * The correlation id is kept readable for the nack handler.
 *
 * @internal
 */
final class PreEncodedMessage extends AMQPMessage
{
    public function __construct(string $body, private readonly string $encoded, string $correlationId)
    {
        parent::__construct($body, $correlationId === '' ? [] : ['correlation_id' => $correlationId]);
    }

    public function serialize_properties() // phpcs:ignore PSR1.Methods.CamelCapsMethodName -- php-amqplib's name
    {
        return $this->encoded;
    }
}
