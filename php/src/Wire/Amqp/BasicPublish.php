<?php

declare(strict_types=1);

namespace CeleryBridge\Wire\Amqp;

use CeleryBridge\Exception\SerializationFailed;

/**
 * The payload of a basic.publish method frame (class 60, method 40): a reserved short (the old
 * access ticket, 0), the exchange and the routing key as short strings, then one octet of bits,
 * mandatory (bit 0) and immediate (bit 1).
 *
 * Celery publishes a task to the default exchange "" with the queue name as routing key when the
 * queue's exchange is direct, and to the queue's exchange with its routing key otherwise; kombu
 * always sends mandatory=false, so RabbitMQ drops an unroutable message silently (a publisher
 * confirm still acks it). With mandatory=true the broker returns it (basic.return, NO_ROUTE).
 * immediate is not supported by RabbitMQ (it closes the connection), so it is not offered here.
 *
 * @internal
 */
final class BasicPublish
{
    private const CLASS_BASIC = 60;
    private const METHOD_PUBLISH = 40;

    private function __construct()
    {
    }

    /**
     * @throws SerializationFailed for an exchange or routing key over 255 bytes
     */
    public static function encode(string $exchange, string $routingKey, bool $mandatory = false): string
    {
        return Octets::short(self::CLASS_BASIC)
            . Octets::short(self::METHOD_PUBLISH)
            . Octets::short(0)
            . Octets::shortString($exchange, 'exchange name')
            . Octets::shortString($routingKey, 'routing key')
            . ($mandatory ? "\x01" : "\x00");
    }
}
