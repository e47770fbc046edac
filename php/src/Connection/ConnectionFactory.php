<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidBrokerUrl;
use CeleryBridge\Exception\InvalidConfiguration;

/**
 * Turns what a user passes as `broker:` / `backend:` into a lazy RedisConnection.
 *
 * Accepted targets: a Celery URL string (Dsn), a connected \Redis, a Predis\ClientInterface,
 * or a RedisConnection (returned as it is). Publishing retries (task_publish_retry /
 * task_publish_retry_policy) are the broker's, Broker\RetryingPublisher.
 *
 * @internal
 */
final class ConnectionFactory
{
    public const BROKER = ConnectionOptions::BROKER;
    public const BACKEND = ConnectionOptions::BACKEND;

    /**
     * @param array<string, mixed>|ConnectionOptions $options connection settings from the client
     *        config (ConnectionOptions::KEYS), or already parsed for this role
     * @param string $role self::BROKER (broker_url rules) or self::BACKEND (result_backend rules)
     *
     * @throws InvalidBrokerUrl|InvalidConfiguration
     */
    public static function create(
        #[\SensitiveParameter] string|object $target,
        #[\SensitiveParameter] array|ConnectionOptions $options = [],
        string $role = self::BROKER,
    ): RedisConnection {
        if ($target instanceof RedisConnection) {
            return $target;
        }
        $settings = $options instanceof ConnectionOptions ? $options : ConnectionOptions::fromConfig($options, $role);
        return self::connect($target, $settings, $role);
    }

    private static function connect(
        #[\SensitiveParameter] string|object $target,
        ConnectionOptions $settings,
        string $role,
    ): RedisConnection {
        if (is_string($target)) {
            $topology = Topology::fromUrl($target, $role, $settings);
            return match (self::client($settings->client, $role)) {
                ConnectionOptions::CLIENT_PHPREDIS => PhpRedisConnection::fromTopology($topology, $settings),
                default => PredisConnection::fromTopology($topology, $settings),
            };
        }
        return InjectedClient::connection($target, $role);
    }

    /**
     * Which client library a URL connection uses: phpredis when loaded, else Predis.
     */
    public static function client(string $wanted, string $role = self::BROKER): string
    {
        $setting = 'redis_client';
        return match ($wanted) {
            ConnectionOptions::CLIENT_PHPREDIS => extension_loaded('redis')
                ? ConnectionOptions::CLIENT_PHPREDIS
                : throw InvalidConfiguration::invalid(
                    $setting,
                    $wanted,
                    'the phpredis extension (ext-redis) is not loaded; install it, or use redis_client => predis.',
                ),
            ConnectionOptions::CLIENT_PREDIS => PredisConnection::available()
                ? ConnectionOptions::CLIENT_PREDIS
                : throw InvalidConfiguration::invalid(
                    $setting,
                    $wanted,
                    'Predis is not installed or not autoloaded (class Predis\Client not found): composer require predis/predis.',
                ),
            default => match (true) {
                extension_loaded('redis') => ConnectionOptions::CLIENT_PHPREDIS,
                PredisConnection::available() => ConnectionOptions::CLIENT_PREDIS,
                default => throw InvalidConfiguration::noRedisClient($role),
            },
        };
    }
}
