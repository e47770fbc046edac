<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Exception\ConnectionFailed;

/**
 * What QueueInspector reads of a queue on one broker: Redis lists (RedisQueues) or RabbitMQ
 * queues (Amqp\AmqpQueues).
 *
 * @internal
 */
interface QueueAccess
{
    /**
     * The messages waiting in the queue (not those a worker has taken).
     *
     * @throws ConnectionFailed
     */
    public function length(string $queue): int;

    /**
     * Deletes the waiting messages and returns how many there were.
     *
     * @throws ConnectionFailed
     */
    public function purge(string $queue): int;

    /**
     * Whether one of the queue's newest $scan messages is the task's: true, false, or null
     * when that cannot be told (more messages than read, or a broker whose messages cannot be
     * read without taking them).
     *
     * @throws ConnectionFailed
     */
    public function holds(string $queue, string $taskId, int $scan): ?bool;

    /**
     * Runs $call with every command to the broker ending by $deadline (Clock::now() + seconds).
     *
     * @template T
     * @param \Closure(): T $call
     * @return T
     * @throws ConnectionFailed
     */
    public function within(float $deadline, \Closure $call): mixed;
}
