<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A message could not be serialized or compressed for the wire.
 */
final class SerializationFailed extends \RuntimeException implements CeleryBridgeException
{
    public static function because(string $what, ?\Throwable $previous = null): self
    {
        return new self($what, 0, $previous);
    }
}
