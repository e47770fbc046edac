<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

/**
 * What the client that made a handle knows of how the task was sent, which a task id alone
 * cannot tell: the queue a get() that times out on a PENDING task looks at, and whether the
 * task was sent with ignore_result (Celery's AsyncResult.ignored: nothing will be stored).
 *
 * @internal made by ResultHandles
 */
final class Dispatch
{
    /**
     * @param bool $sentThere whether the task went to $queue, or $queue is only the default one
     */
    public function __construct(
        public readonly string $queue,
        public readonly bool $sentThere,
        public readonly bool $ignored = false,
    ) {
    }
}
