<?php

declare(strict_types=1);

namespace CeleryBridge\Events;

/**
 * A task's event: task-sent, task-received, task-started, task-succeeded, task-failed,
 * task-retried, task-revoked, task-rejected (fields as celery/worker/request.py and
 * celery/app/trace.py send them). Fields an event type does not carry are null: `name`,
 * `args`, `kwargs` come with sent and received, `result` and `runtime` with succeeded,
 * `exception` and `traceback` with failed and retried, `terminated`, `signum` and `expired`
 * with revoked.
 */
final class TaskEvent implements Event
{
    use EventAccessors;

    /**
     * @param array<string, mixed> $fields
     */
    public function __construct(
        public readonly string $type,
        public readonly string $taskId,
        public readonly string $hostname,
        public readonly ?\DateTimeImmutable $timestamp,
        public readonly ?string $name,
        public readonly ?string $args,
        public readonly ?string $kwargs,
        public readonly ?string $result,
        public readonly ?float $runtime,
        public readonly ?string $exception,
        public readonly ?string $traceback,
        public readonly ?int $retries,
        public readonly array $fields,
    ) {
    }

    /**
     * @internal
     * @param array<string, mixed> $fields
     */
    public static function fromFields(string $type, array $fields): self
    {
        return new self(
            $type,
            EventFields::string($fields, 'uuid') ?? '',
            EventFields::string($fields, 'hostname') ?? '',
            EventFields::time($fields),
            EventFields::string($fields, 'name'),
            EventFields::string($fields, 'args'),
            EventFields::string($fields, 'kwargs'),
            // The worker sends the repr of the return value (Flower shows it as text).
            EventFields::string($fields, 'result'),
            EventFields::float($fields, 'runtime'),
            EventFields::string($fields, 'exception'),
            EventFields::string($fields, 'traceback'),
            EventFields::int($fields, 'retries'),
            $fields,
        );
    }
}
