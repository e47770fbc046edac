<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A remote control command (revoke) with an argument the workers could not act on.
 */
final class InvalidControlCommand extends \InvalidArgumentException implements CeleryBridgeException
{
    public static function invalid(string $argument, mixed $value, string $expected): self
    {
        return new self(
            sprintf('Revoke argument "%s" has the value %s; %s', $argument, Describe::value($value), $expected),
        );
    }
}
