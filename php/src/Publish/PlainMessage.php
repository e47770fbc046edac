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

    /**
     * What copyOf() copies: a Redis message to $list with everything but its id and envelope,
     * not to be used itself.
     *
     * @internal
     */
    public static function model(string $list, string $queue, int $priority): self
    {
        $model = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $model->list = $list;
        $model->queue = $queue;
        $model->priority = $priority;
        $model->amqp = null;
        return $model;
    }

    /**
     * A Redis message of the template path: a copy of $model (see model()) with its task id
     * and envelope. A copy writes two properties where the constructor takes and checks six
     * arguments: this runs for every sendTask().
     *
     * @internal
     */
    public static function copyOf(self $model, string $taskId, string $envelope): self
    {
        $message = clone $model;
        $message->taskId = $taskId;
        $message->envelope = $envelope;
        return $message;
    }
}
