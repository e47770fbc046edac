<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

/**
 * A task message as the publish hooks see it (the arguments of Celery's before_task_publish
 * and after_task_publish signals): its id, name, routing and custom headers. Never its
 * arguments.
 */
final class OutgoingTask
{
    /** The debug log line of a published task (never its arguments). */
    public const PUBLISHED = 'CeleryBridge: task {task} published as {task_id} to queue {queue}';

    /**
     * @param array<string, mixed> $headers the custom headers it carries (the "headers" option)
     */
    public function __construct(
        public readonly string $id,
        public readonly string $name,
        public readonly string $queue,
        public readonly string $exchange,
        public readonly string $routingKey,
        public readonly int $priority,
        public readonly ?string $rootId = null,
        public readonly ?string $parentId = null,
        public readonly array $headers = [],
    ) {
    }

    /**
     * A task sent by name without options (CeleryClient's template path): no exchange, custom
     * headers or parents.
     */
    public static function plain(string $id, string $name, string $queue, int $priority): self
    {
        return new self($id, $name, $queue, '', $queue, $priority, $id);
    }
}
