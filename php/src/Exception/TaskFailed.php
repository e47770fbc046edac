<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

use CeleryBridge\Result\ExceptionInfo;

/**
 * The task raised an exception on the worker (state FAILURE). The remote exception's type,
 * module, arguments and traceback text are exposed as Celery stored them.
 */
final class TaskFailed extends \RuntimeException implements CeleryBridgeException
{
    private function __construct(
        string $message,
        public readonly string $taskId,
        public readonly ExceptionInfo $info,
    ) {
        parent::__construct($message);
    }

    public static function remote(string $taskId, ExceptionInfo $info): self
    {
        return new self(sprintf('Task "%s" failed on the worker with %s', $taskId, (string) $info), $taskId, $info);
    }

    /** The exception class name, e.g. "ValueError" or "Outer.Inner" (Python's __qualname__). */
    public function remoteType(): string
    {
        return $this->info->type;
    }

    /** The module that defines it, e.g. "builtins", "celery.exceptions", "myapp.tasks". */
    public function remoteModule(): ?string
    {
        return $this->info->module;
    }

    /**
     * @return list<mixed> the exception's args
     */
    public function remoteArgs(): array
    {
        return $this->info->args;
    }

    /** str(exc) as Python would print it. */
    public function remoteMessage(): string
    {
        return $this->info->message();
    }

    /** The formatted Python traceback the worker stored, if any. */
    public function remoteTraceback(): ?string
    {
        return $this->info->traceback;
    }
}
