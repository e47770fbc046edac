<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Broker\PublishChunk;
use CeleryBridge\Connection\RetryPolicy;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\RoutingFailed;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\TaskMessage;

/**
 * Where the publisher's messages go: the only part of the publish pipeline that knows the
 * broker. Canvas planning, options, hooks, events and results never see its types.
 *
 * @internal
 */
interface Transport
{
    /**
     * Adds to $chunk what puts one built task message on every queue its delivery routes to
     * (Redis: the envelope's LPUSHes; AMQP: one basic.publish).
     *
     * @throws ConnectionFailed|RoutingFailed a named exchange's bindings cannot be read, or route nowhere
     */
    public function queue(PublishChunk $chunk, TaskMessage $message, Delivery $delivery): void;

    /**
     * Adds to $chunk one message of the template path.
     */
    public function queuePlain(PublishChunk $chunk, PlainMessage $message): void;

    /**
     * Adds a task-sent event to $chunk: it goes out if and only if the chunk's tasks do (Redis:
     * in the same transaction; AMQP: after the tasks are confirmed).
     *
     * @param array<string, mixed> $event the event's fields (TaskSentEvent::fields()), sent as JSON
     *        with the header hostname, on $exchange (a fanout on Redis, a topic on RabbitMQ)
     */
    public function announce(PublishChunk $chunk, array $event, string $exchange, string $routingKey): void;

    /**
     * Writes one message of the template path.
     *
     * @throws ConnectionFailed
     */
    public function publishPlain(PlainMessage $message): void;

    /**
     * Writes a chunk's messages, and the chord state they need, atomically where the transport can.
     *
     * @throws ConnectionFailed
     */
    public function publish(PublishChunk $chunk): void;

    /** The client's publish retry policy, which a call's options adjust. */
    public function retryPolicy(): RetryPolicy;

    /**
     * Runs $publish under another retry policy (a call's retry options).
     *
     * @template T
     * @param \Closure(): T $publish
     * @return T
     */
    public function using(RetryPolicy $policy, \Closure $publish): mixed;
}
