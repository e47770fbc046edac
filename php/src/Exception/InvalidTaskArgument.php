<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A task argument cannot travel to a Python worker as kombu JSON.
 */
final class InvalidTaskArgument extends \InvalidArgumentException implements CeleryBridgeException
{
    public static function at(string $path, string $problem, ?\Throwable $previous = null): self
    {
        return new self(sprintf('Task argument %s %s', $path, $problem), 0, $previous);
    }
}
