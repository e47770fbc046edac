<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A remote control command (revoke, rate_limit, inspect, ...) with an argument the workers could
 * not act on.
 */
final class InvalidControlCommand extends \InvalidArgumentException implements CeleryBridgeException
{
    public static function invalid(string $argument, mixed $value, string $expected, string $command = 'Revoke'): self
    {
        return new self(
            sprintf('%s argument "%s" has the value %s; %s', $command, $argument, Describe::value($value), $expected),
        );
    }
}
