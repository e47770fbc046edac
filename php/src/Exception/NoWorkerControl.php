<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A result was asked to revoke its task, but it knows no broker to broadcast on.
 */
final class NoWorkerControl extends \LogicException implements CeleryBridgeException
{
    public static function forTask(string $taskId): self
    {
        return new self(sprintf(
            'Task "%s": this result was not made by a CeleryClient in this process (it was unserialized or built '
            . 'by hand), so it cannot reach the workers. Use $celery->revoke($id) instead.',
            $taskId,
        ));
    }
}
