<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A sendTask() option (Celery's apply_async name) is unknown or has a value Celery cannot use.
 */
final class InvalidOption extends \InvalidArgumentException implements CeleryBridgeException
{
    public static function unknown(string $name, array $known): self
    {
        return new self(sprintf(
            'Unknown task option "%s".%s Known options (Celery\'s apply_async names): %s.',
            Describe::text($name, 100),
            Suggestion::didYouMean($name, $known),
            implode(', ', $known),
        ));
    }

    public static function invalid(string $name, mixed $value, string $expected, ?\Throwable $previous = null): self
    {
        return new self(
            sprintf('Task option "%s" has the value %s; %s', $name, Describe::value($value), $expected),
            0,
            $previous,
        );
    }
}
