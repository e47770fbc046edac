<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A wait was given a timeout that is not a number of seconds.
 */
final class InvalidTimeout extends \InvalidArgumentException implements CeleryBridgeException
{
    public static function of(float $timeout): self
    {
        return new self(sprintf(
            'Timeout %s is not a number of seconds >= 0; pass null to wait without limit.',
            Describe::value($timeout),
        ));
    }
}
