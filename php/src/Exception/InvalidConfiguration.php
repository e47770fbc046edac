<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A config entry (Celery's setting names) is unknown or has a value Celery would not accept.
 */
final class InvalidConfiguration extends \InvalidArgumentException implements CeleryBridgeException
{
    public static function unknown(string $name, array $known): self
    {
        return new self(sprintf(
            'Unknown setting "%s". Known settings (Celery\'s names): %s.',
            $name,
            implode(', ', $known),
        ));
    }

    public static function invalid(string $name, mixed $value, string $expected, ?\Throwable $previous = null): self
    {
        return new self(
            sprintf('Setting "%s" has the value %s; %s', $name, Describe::value($value), $expected),
            0,
            $previous,
        );
    }
}
