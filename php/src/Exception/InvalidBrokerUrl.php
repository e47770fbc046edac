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

    /**
     * @param string $role "broker" or "result backend"
     */
    public static function unknownScheme(string $maskedUrl, string $scheme, string $role): self
    {
        $hint = match ($scheme) {
            'socket' => 'write redis+socket:///path/to/redis.sock (kombu and Celery both read that).',
            'sentinels', 'redis+sentinel' => 'write sentinel://host:26379;sentinel://host2:26379 and set master_name.',
            'tcp', 'tls' => sprintf('write %s://host:port/db.', $scheme === 'tls' ? 'rediss' : 'redis'),
            'amqp', 'amqps', 'pyamqp', 'librabbitmq', 'sqs', 'memory', 'filesystem', 'mongodb', 'sqla+sqlite'
                => 'CeleryBridge talks to Redis only.',
            default => 'expected redis, rediss, redis+socket, unix or sentinel.',
        };
        return self::because($maskedUrl, sprintf('the scheme "%s" is not a Redis %s URL: %s', $scheme, $role, $hint));
    }
}
