<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A result was asked for, but there is no result backend to read it from.
 */
final class NoResultBackend extends \LogicException implements CeleryBridgeException
{
    public static function configured(string $taskId): self
    {
        return new self(sprintf(
            'Task "%s": no result backend is configured. Pass backend: (Celery\'s result_backend URL) to the '
            . 'CeleryClient, the same one the workers use.',
            $taskId,
        ));
    }

    public static function afterUnserialize(string $taskId): self
    {
        return new self(sprintf(
            'Task "%s": this result was restored with unserialize() and no CeleryClient with a matching backend '
            . 'exists in this process. Create the client first, or rebuild the result with $celery->result($id).',
            $taskId,
        ));
    }
}
