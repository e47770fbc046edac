<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidConfiguration;

/**
 * Turns what a user passes as `broker:` / `backend:` into a lazy RedisConnection.
 *
 * @internal
 */
final class ConnectionFactory
{
    /**
     * @param array<string, mixed> $options connection settings from the client config
     */
    public static function create(#[\SensitiveParameter] string|object $target, array $options = []): RedisConnection
    {
        if ($target instanceof RedisConnection) {
            return $target;
        }
        if ($target instanceof \Redis) {
            return PhpRedisConnection::fromClient($target);
        }
        if (is_string($target)) {
            return PhpRedisConnection::fromDsn(Dsn::fromString($target));
        }
        throw InvalidConfiguration::invalid('broker', $target, 'expected a Redis URL or a connected \Redis client.');
    }
}
