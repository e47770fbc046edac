<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Message\AmqpTaskMessage;

/**
 * One task message from the template path (a task without options), ready to LPUSH (Redis) or
 * to publish (AMQP: $amqp, the envelope and list empty).
 *
 * @internal
 */
final class PlainMessage
{
    public function __construct(
        public readonly string $taskId,
        /** kombu's Redis envelope, the JSON text a worker BRPOPs */
        public readonly string $envelope,
        /** the Redis list of its queue and priority */
        public readonly string $list,
        public readonly string $queue,
        public readonly int $priority,
        /** Over AMQP: the message with its properties encoded, not yet routed to an exchange */
        public readonly ?AmqpTaskMessage $amqp = null,
    ) {
    }
}
