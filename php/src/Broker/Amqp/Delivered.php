<?php

declare(strict_types=1);

namespace CeleryBridge\Broker\Amqp;

/**
 * A message RabbitMQ delivered (basic.deliver and its content): what a pidbox reply or an event
 * needs. Header values come as each library decodes them: an integer is a PHP int whether the
 * sender wrote I, i or l.
 *
 * @internal
 */
final class Delivered
{
    /**
     * @param array<string, mixed> $headers
     */
    public function __construct(
        public readonly string $exchange,
        public readonly string $routingKey,
        public readonly array $headers,
        public readonly string $body,
        public readonly ?string $contentType,
    ) {
    }
}
