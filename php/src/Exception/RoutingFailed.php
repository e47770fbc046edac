<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A message would reach no queue: a named exchange no queue is bound to (Redis), or on RabbitMQ
 * a message the broker returned as unroutable (mandatory), a missing exchange or a missing queue.
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

    /**
     * RabbitMQ returned the messages (basic.return NO_ROUTE): no queue is bound to their
     * exchange with their routing key. Without mandatory and a confirm, AMQP drops them silently.
     *
     * @param list<string> $taskIds
     */
    public static function returned(array $taskIds, string $exchange, string $routingKey, int $others): self
    {
        return new self(sprintf(
            'RabbitMQ could not route task%s %s (exchange "%s", routing key "%s"): no queue is bound there, so no worker '
            . 'would get %s; it was not queued.%s Start a worker that declares the queue, or send with "queue".',
            count($taskIds) === 1 ? '' : 's',
            implode(', ', array_map(static fn (string $id): string => '"' . $id . '"', array_slice($taskIds, 0, 5))),
            $exchange === '' ? '(default)' : $exchange,
            $routingKey,
            count($taskIds) === 1 ? 'it' : 'them',
            $others > 0 ? sprintf(' The other %d message(s) of the same batch were queued.', $others) : '',
        ));
    }

    /** RabbitMQ closed the channel with 404: the exchange a message was published to does not exist. */
    public static function noExchange(string $exchange, string $brokerText, string $hint = ''): self
    {
        return new self(sprintf(
            'RabbitMQ has no exchange "%s" (%s), so the message was dropped; nothing of this batch can be known to be '
            . 'queued after it.%s',
            $exchange,
            $brokerText,
            $hint === '' ? ' Declare the exchange (start a worker that uses it), or send with "queue".' : ' ' . $hint,
        ));
    }

    /** A passive declare (amqp_declare => passive) found no such queue: 404. */
    public static function noQueue(string $queue, string $brokerText): self
    {
        return new self(sprintf(
            'RabbitMQ has no queue "%s" (%s) and amqp_declare is passive, so nothing was published. Start a worker '
            . 'that consumes from it (it declares the queue), or let CeleryBridge declare it (amqp_declare => declare).',
            $queue,
            $brokerText,
        ));
    }
}
