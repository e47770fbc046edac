<?php

declare(strict_types=1);

namespace CeleryBridge\Broker\Amqp;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Wire\Amqp\ExchangeMessage;

/**
 * The AMQP operations an operator's tools need beyond publishing tasks: queue length and purge
 * (queue.declare passive, queue.purge), remote control (the pidbox exchanges, a reply queue
 * consumed without acks) and the event stream (a queue bound to celeryev). One implementation
 * per PHP AMQP library: php-amqplib (AmqpLibChannel) and ext-amqp (ExtAmqpChannel).
 *
 * RabbitMQ answers a missing queue (404) or a declaration that differs from the existing one
 * (406) by closing the channel, not the connection: implementations open a new channel then,
 * so the next call works.
 *
 * @internal
 */
interface Channel
{
    /**
     * @param string $type direct, fanout or topic
     * @throws ConnectionFailed
     */
    public function declareExchange(string $name, string $type, bool $durable): void;

    /**
     * How many messages wait in a queue, by a passive queue.declare (it only checks the queue
     * exists, whatever its arguments): the declare-ok's message_count, in which prefetched and
     * unacked ones are not counted; null when there is no such queue.
     *
     * @throws ConnectionFailed
     */
    public function messageCount(string $name): ?int;

    /**
     * Declares a queue of this client's own, as kombu declares a pidbox reply queue or an event
     * receiver's queue: not durable, exclusive, auto-delete.
     *
     * @param array<string, int|string> $arguments x-* arguments, integers sent as integers
     * @throws ConnectionFailed
     */
    public function declareOwnQueue(string $name, array $arguments): void;

    /**
     * @throws ConnectionFailed
     */
    public function bindQueue(string $queue, string $exchange, string $routingKey): void;

    /**
     * Deletes the queue's ready messages and returns how many there were; null for a missing queue.
     *
     * @throws ConnectionFailed
     */
    public function purgeQueue(string $name): ?int;

    /**
     * @throws ConnectionFailed
     */
    public function deleteQueue(string $name): void;

    /**
     * Publishes without waiting for anything: a broadcast no worker hears and an event nobody
     * watches are dropped, as Celery lets them be.
     *
     * @throws ConnectionFailed
     */
    public function publish(ExchangeMessage $message): void;

    /**
     * Publishes with mandatory set and waits for the broker's confirm: whether the message
     * reached at least one queue (false: RabbitMQ returned it, NO_ROUTE). RabbitMQ does not
     * say how many queues a fanout exchange delivered to.
     *
     * @throws ConnectionFailed also when no confirm comes within $timeout seconds
     */
    public function publishRouted(ExchangeMessage $message, float $timeout): bool;

    /**
     * Starts consuming $queue without acknowledgements (what kombu does for pidbox replies and
     * events); the deliveries come from next().
     *
     * @throws ConnectionFailed
     */
    public function consume(string $queue): void;

    /**
     * Counts the channels lost on the connection so far. A channel RabbitMQ closed (404,
     * 406) is replaced by a new one on the next call, without the old one's consumer, and an
     * auto-delete queue that consumer held is gone with it: a caller that consumes compares
     * this number to set its queue up again.
     */
    public function generation(): int;

    /**
     * The next delivery of the consumed queue, or null once $deadline (Clock::now() time)
     * passes without one, or at once when the connection was lost (generation() changed: the
     * next call connects again, and the caller consumes again).
     *
     * @throws ConnectionFailed
     */
    public function next(float $deadline): ?Delivered;

    /** Closes the channel and its connection; never throws. */
    public function close(): void;
}
