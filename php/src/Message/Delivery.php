<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

/**
 * Where a message goes: kombu's delivery_info plus the message priority.
 *
 * Celery publishes straight to the queue through the anonymous exchange (exchange "",
 * routing_key = queue name); a worker that restores a message re-routes it with exactly these
 * values, so they must name the list the message was pushed to.
 */
final class Delivery
{
    public function __construct(
        public readonly string $queue,
        public readonly int $priority = 0,
        public readonly string $exchange = '',
        public readonly ?string $routingKey = null,
    ) {
    }

    public function routingKey(): string
    {
        return $this->routingKey ?? $this->queue;
    }
}
