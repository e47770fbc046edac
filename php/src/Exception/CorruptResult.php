<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A stored result could not be read as Celery writes it: bad JSON, an unknown kombu type marker,
 * a compression method PHP cannot undo, or meta without the fields every Celery version writes.
 */
final class CorruptResult extends \UnexpectedValueException implements CeleryBridgeException
{
    public static function in(string $taskId, string $problem, ?\Throwable $previous = null): self
    {
        return new self(sprintf('The stored result of task "%s" cannot be read: %s', $taskId, $problem), 0, $previous);
    }
}
