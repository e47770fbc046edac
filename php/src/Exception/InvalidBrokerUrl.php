<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A broker_url / result_backend string that Celery itself would not accept.
 */
final class InvalidBrokerUrl extends \InvalidArgumentException implements CeleryBridgeException
{
    public static function because(string $maskedUrl, string $problem): self
    {
        return new self(sprintf('Redis URL "%s": %s', $maskedUrl, $problem));
    }
}
