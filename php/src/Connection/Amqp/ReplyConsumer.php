<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Exception\ConnectionFailed;

/**
 * Reads one reply queue, as Celery's rpc result consumer does: on a connection of its own,
 * consumed without acknowledgements once a wait started, and never cancelled after that
 * (the queue is auto-delete: RabbitMQ deletes it when its last consumer goes, and the results
 * still coming would be dropped).
 *
 * @internal
 */
interface ReplyConsumer
{
    /**
     * Declares the queue (durable, auto-delete, x-expires), as Celery does before every
     * publish: the workers publish results to it through the default exchange, and RabbitMQ
     * drops a result sent to a queue that does not exist.
     *
     * @throws ConnectionFailed
     */
    public function declare(): void;

    /**
     * The replies there are now, without waiting: those already delivered to this process,
     * then the queue's messages (basic.get until it is empty).
     *
     * @return list<Reply>
     * @throws ConnectionFailed
     */
    public function fetch(): array;

    /**
     * Consumes the queue (from the first call on) and returns the replies delivered by
     * $deadline (a Clock::now() reading; null: no limit): at least one, or none when the
     * deadline passed first.
     *
     * @return list<Reply>
     * @throws ConnectionFailed
     */
    public function await(?float $deadline): array;

    /** Closes the connection; never throws. */
    public function close(): void;
}
