<?php

declare(strict_types=1);

namespace CeleryBridge\Testing;

/**
 * One task message CeleryFake would have written to the broker: a sendTask(), a Signature, or
 * a canvas's task that goes out at once (a chain's first step, a group's tasks, a chord's
 * header). The steps a worker sends later travel inside it: see SentCanvas for those.
 */
final class SentTask
{
    /**
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     * @param array<string, mixed> $options the apply_async options under Celery's names the message was
     *        built from: those given, with task_id (and a canvas's own) filled in
     * @param array<string, mixed> $headers the task message's headers (Celery's protocol 2:
     *        task, id, eta, expires, root_id, parent_id, group, retries, timelimit, ...)
     */
    public function __construct(
        public readonly string $id,
        public readonly string $name,
        public readonly array $args,
        public readonly array $kwargs,
        public readonly array $options,
        public readonly string $queue,
        public readonly string $exchange,
        public readonly string $routingKey,
        public readonly int $priority,
        public readonly array $headers,
    ) {
    }
}
