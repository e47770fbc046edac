<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * The task raised an exception on the worker (state FAILURE). The remote exception's type,
 * module, arguments and traceback text are exposed as Celery stored them.
 */
final class TaskFailed extends \RuntimeException implements CeleryBridgeException
{
    /**
     * @param ExceptionInfo|null $info null when the task stored FAILURE without an exception
     *        description (e.g. update_state(state=FAILURE, meta={...}) then Ignore); $stored is then
     *        what it stored
     */
    private function __construct(
        string $message,
        public readonly string $taskId,
        public readonly ?ExceptionInfo $info,
        public readonly mixed $stored = null,
    ) {
        parent::__construct($message);
    }

    public static function remote(string $taskId, ?ExceptionInfo $info, mixed $stored = null): self
    {
        if ($info === null) {
            return new self(sprintf(
                'Task "%s" is in state FAILURE, and what it stored (%s) is not an exception description: '
                . 'the task set the state itself (update_state). See $e->stored.',
                $taskId,
                Describe::value($stored),
            ), $taskId, null, $stored);
        }
        return new self(
            sprintf('Task "%s" failed on the worker with %s', $taskId, Describe::text((string) $info)),
            $taskId,
            $info,
            $stored,
        );
    }

    /** The exception class name, e.g. "ValueError" or "Outer.Inner" (Python's __qualname__). */
    public function remoteType(): ?string
    {
        return $this->info?->type;
    }

    /** The module that defines it, e.g. "builtins", "celery.exceptions", "myapp.tasks". */
    public function remoteModule(): ?string
    {
        return $this->info?->module;
    }

    /**
     * @return list<mixed> the exception's args
     */
    public function remoteArgs(): array
    {
        return $this->info->args ?? [];
    }

    /** str(exc) as Python would print it. */
    public function remoteMessage(): string
    {
        return $this->info?->message() ?? '';
    }

    /** The formatted Python traceback the worker stored, if any. */
    public function remoteTraceback(): ?string
    {
        return $this->info?->traceback;
    }
}
