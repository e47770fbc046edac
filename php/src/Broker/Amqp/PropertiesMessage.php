<?php

declare(strict_types=1);

namespace CeleryBridge\Broker\Amqp;

use PhpAmqpLib\Message\AMQPMessage;

/**
 * A php-amqplib message whose content header properties are given already encoded (flags and
 * values, by Wire\Amqp\BasicProperties): php-amqplib writes them where it would write its own.
 *
 * @internal
 */
final class PropertiesMessage extends AMQPMessage
{
    public function __construct(string $body, private readonly string $encoded)
    {
        parent::__construct($body);
    }

    public function serialize_properties() // phpcs:ignore PSR1.Methods.CamelCapsMethodName -- php-amqplib's name
    {
        return $this->encoded;
    }
}
