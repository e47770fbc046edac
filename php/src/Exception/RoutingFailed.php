<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A message was sent through a named exchange that no queue is bound to.
 */
final class RoutingFailed extends \RuntimeException implements CeleryBridgeException
{
    public static function noBinding(string $exchange, string $routingKey): self
    {
        return new self(sprintf(
            'No queue is bound to exchange "%s" with routing key "%s", so no worker would get the task '
            . '(kombu drops such messages silently; nothing was written). Start a worker that declares '
            . 'that binding, or send with "queue" instead of "exchange".',
            $exchange,
            $routingKey,
        ));
    }
}
