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

    /** The one of configured() and afterUnserialize() a handle without a backend throws. */
    public static function forTask(string $taskId, bool $unserialized): self
    {
        return $unserialized ? self::afterUnserialize($taskId) : self::configured($taskId);
    }

    public static function afterUnserialize(string $taskId): self
    {
        return new self(sprintf(
            'Task "%s": this result was restored with unserialize(), which keeps the id but no client to read '
            . 'through. Rebuild it with $celery->result($id).',
            $taskId,
        ));
    }

    public static function groupAfterUnserialize(string $groupId): self
    {
        return new self(sprintf(
            'Group "%s": this result was restored with unserialize(), which keeps the ids but no client to read '
            . 'through. Rebuild it with $celery->restoreGroup($id) (after GroupResult::save()), or read each task '
            . 'with $celery->result($id).',
            $groupId,
        ));
    }
}
