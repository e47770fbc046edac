<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Wire\Amqp\ExchangeMessage;

/**
 * One connection and one channel to RabbitMQ, as kombu's producer keeps them: what the AMQP
 * transport needs of a client library (php-amqplib here; ext-amqp is another implementation).
 * Connects on first use. Library exceptions never leave it: a failure to connect or a lost
 * connection is a ConnectionFailed, a channel closed by the broker (404, 406) an ChannelClosed
 * after which the next call opens a new channel.
 *
 * @internal
 */
interface AmqpConnection
{
    /** host:port of the node in use (or the first of the list), for messages; never a password. */
    public function server(): string;

    /**
     * Connects when not connected (to the next node of a failover list after a failure), opens
     * the channel and turns publisher confirms on (once per channel).
     *
     * @throws ConnectionFailed nothing was published
     */
    public function open(): void;

    /**
     * Counts the connections made: the declarations kombu caches are per connection, so a new
     * number means "declare again".
     */
    public function generation(): int;

    /**
     * @throws ConnectionFailed|ChannelClosed 404 (passive: missing) or 406 (differs)
     */
    public function declareExchange(string $name, string $type, bool $durable, bool $passive): void;

    /**
     * @param array<string, int|string|bool> $arguments x-max-priority, x-queue-type, ...
     * @throws ConnectionFailed|ChannelClosed
     */
    public function declareQueue(string $name, bool $durable, array $arguments, bool $passive): void;

    /** @throws ConnectionFailed|ChannelClosed */
    public function bindQueue(string $queue, string $exchange, string $routingKey): void;

    /**
     * Writes one basic.publish (no wait), or queues it for waitForConfirms() to write with the
     * others since the last wait (the transport always waits after its publishes). $encoded is
     * the content header's property part, $message->properties->encode(), byte for byte what
     * Celery sends (a library that cannot take encoded properties builds its own from them).
     *
     * @throws ConnectionFailed the frame may be partly written (treat as unknown)
     */
    public function publish(ExchangeMessage $message, string $encoded, bool $mandatory): void;

    /**
     * Writes the publishes queued since the last wait, then waits until the broker has confirmed
     * every one of them.
     *
     * @return array{list<string>, list<int>} the correlation ids (task ids) of the messages the
     *         broker returned as unroutable (mandatory: a basic.return carries no delivery tag),
     *         and the places (0 for the first publish since the last wait) of those it nacked (not
     *         queued): by delivery tag, so a task id in a batch twice names the right one
     * @throws ConnectionFailed the connection broke or no confirm came in time: the outcome of
     *         those publishes is unknown
     * @throws ChannelClosed the broker closed the channel (a missing exchange: 404)
     */
    public function waitForConfirms(float $timeout): array;

    /** Closes the connection (the next call reconnects). */
    public function close(): void;
}
