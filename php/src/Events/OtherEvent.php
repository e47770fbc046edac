<?php

declare(strict_types=1);

namespace CeleryBridge\Events;

/**
 * An event of a type Celery does not define (a task's self.send_event('task-progress', ...)
 * or another application's): its type and fields as sent.
 */
final class OtherEvent implements Event
{
    use EventAccessors;

    /**
     * @param array<string, mixed> $fields
     */
    public function __construct(
        public readonly string $type,
        public readonly string $hostname,
        public readonly ?\DateTimeImmutable $timestamp,
        public readonly array $fields,
    ) {
    }
}
