<?php

declare(strict_types=1);

namespace CeleryBridge\Broker\Amqp;

/**
 * A task queue as Celery's kombu.Queue declares it on RabbitMQ: the queue (durable, not
 * exclusive, not auto-delete, its x-arguments), its exchange (name and type, durable) and the
 * binding between them with the routing key.
 *
 * @internal
 */
final class AmqpQueue
{
    /**
     * @param array<string, int|string|bool> $arguments queue_arguments: x-max-priority, x-queue-type, ...
     */
    public function __construct(
        public readonly string $name,
        public readonly string $exchange,
        public readonly string $exchangeType,
        public readonly string $routingKey,
        public readonly array $arguments = [],
        public readonly bool $durable = true,
        public readonly bool $noDeclare = false,
    ) {
    }

    public function isQuorum(): bool
    {
        return ($this->arguments['x-queue-type'] ?? null) === 'quorum';
    }
}
