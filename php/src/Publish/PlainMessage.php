<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

/**
 * One task message from the template path (a task without options), ready to LPUSH.
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
    ) {
    }
}
