<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A remote control command (revoke, ping, an inspect method) with an argument the workers could
 * not act on.
 */
final class InvalidControlCommand extends \InvalidArgumentException implements CeleryBridgeException
{
    /**
     * @param string $command the command as the message names it: "Revoke", "Ping", "Inspect stats"
     */
    public static function invalid(string $argument, mixed $value, string $expected, string $command = 'Revoke'): self
    {
        return new self(
            sprintf('%s argument "%s" has the value %s; %s', $command, $argument, Describe::value($value), $expected),
        );
    }

    /** How messages name an inspect method: "Ping", "Inspect stats". */
    public static function inspectCommand(string $method): string
    {
        return $method === 'ping' ? 'Ping' : 'Inspect ' . $method;
    }
}
