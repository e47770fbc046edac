<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A broker_url / result_backend string that Celery itself would not accept. The message shows
 * the URL with its password masked.
 */
final class InvalidBrokerUrl extends \InvalidArgumentException implements CeleryBridgeException
{
    public static function because(#[\SensitiveParameter] string $url, string $problem): self
    {
        return new self(sprintf('Redis URL "%s": %s', self::mask($url), $problem));
    }

    /**
     * @param string $role "broker" or "result backend"
     */
    public static function unknownScheme(#[\SensitiveParameter] string $url, string $scheme, string $role): self
    {
        $hint = match ($scheme) {
            'socket' => 'write redis+socket:///path/to/redis.sock (kombu and Celery both read that).',
            'sentinels', 'redis+sentinel' => 'write sentinel://host:26379;sentinel://host2:26379 and set master_name.',
            'tcp', 'tls' => sprintf('write %s://host:port/db.', $scheme === 'tls' ? 'rediss' : 'redis'),
            'amqp', 'amqps', 'pyamqp', 'librabbitmq', 'sqs', 'memory', 'filesystem', 'mongodb', 'sqla+sqlite'
                => 'CeleryBridge talks to Redis only.',
            default => 'expected redis, rediss, redis+socket, unix or sentinel.',
        };
        return self::because($url, sprintf('the scheme "%s" is not a Redis %s URL: %s', $scheme, $role, $hint));
    }

    /**
     * A URL for messages: the password (anything between "user:" and the last "@") masked, even
     * when the URL does not parse.
     */
    public static function mask(#[\SensitiveParameter] string $url): string
    {
        // User info runs to the last "@" of each URL of a failover list; a password may hold
        // "/", "?", "#", ";" or "@", and a mistyped "redis:/" has one slash only.
        $masked = (string) preg_replace(
            '#([A-Za-z][A-Za-z0-9+.\-]*:/{0,2}[^:@/?;\s]*:).*?@(?=[^@;]*(?:;|$))#s',
            '$1****@',
            $url,
        );
        return (string) preg_replace('#([?&;](?:ssl_password|password|passwd|pass|pwd)=)[^&;]*#i', '$1****', $masked);
    }
}
