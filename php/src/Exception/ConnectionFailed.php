<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * Redis could not be reached or refused a command. Messages name the server, never the password.
 */
class ConnectionFailed extends \RuntimeException implements CeleryBridgeException
{
    public static function because(string $server, string $what, ?\Throwable $previous = null): static
    {
        return new static(sprintf('Redis at %s: %s', $server, $what), 0, $previous);
    }
}
