<?php

declare(strict_types=1);

namespace CeleryBridge\Broker\Amqp;

use CeleryBridge\Broker\QueueAccess;

/**
 * Queues on RabbitMQ, as kombu's AMQP transport reads them: the length is the message_count of
 * a passive queue.declare (it never creates the queue and works whatever its arguments are:
 * quorum, x-max-priority), purge is queue.purge, which answers how many it deleted. Messages a
 * worker holds unacknowledged (prefetched, or waiting for their ETA) are not counted, and come
 * back to the queue if that worker's channel closes.
 *
 * A queue that does not exist has 0 messages, as a Redis list that does not exist (RabbitMQ's
 * 404 closes the channel; the next call opens another).
 *
 * @internal
 */
final class AmqpQueues implements QueueAccess
{
    public function __construct(private readonly Channel $channel)
    {
    }

    public function length(string $queue): int
    {
        return $this->channel->messageCount($queue) ?? 0;
    }

    public function purge(string $queue): int
    {
        return $this->channel->purgeQueue($queue) ?? 0;
    }

    /**
     * A RabbitMQ queue cannot be read without taking its messages (basic.get would hand them
     * out of order and back with the redelivered flag): unknown.
     */
    public function holds(string $queue, string $taskId, int $scan): ?bool
    {
        return null;
    }

    /**
     * The channel's own timeouts bound each call.
     */
    public function within(float $deadline, \Closure $call): mixed
    {
        return $call();
    }
}
