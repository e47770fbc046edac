<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidBrokerUrl;

/**
 * The options after "?" in a Celery Redis URL, accepted or refused as kombu (broker_url) and
 * Celery's Redis backend (result_backend) accept them. Dsn loads this only for a URL that has
 * options, or for rediss://.
 *
 * @internal
 */
final class DsnQuery
{
    /** kombu's connection arguments that a broker URL query may carry but mean nothing for Redis. */
    private const BROKER_IGNORED = ['heartbeat', 'insist', 'login_method'];
    /** redis-py connection arguments accepted on a query and meaning nothing for a PHP client. */
    private const REDIS_PY_IGNORED = [
        'socket_keepalive',
        'socket_read_size',
        'retry_on_timeout',
        'retry_on_error',
        'max_connections',
        'health_check_interval',
        'client_name',
        'protocol',
    ];

    /**
     * @param array<string, string> $ssl the ssl_* options, as given
     * @param array<string, string> $accepted every accepted option, as given
     */
    private function __construct(
        public readonly array $ssl,
        public readonly ?float $connectTimeout,
        public readonly ?float $readTimeout,
        public readonly ?int $database,
        public readonly array $accepted,
    ) {
    }

    /**
     * @throws InvalidBrokerUrl an option this scheme and role do not accept, or a bad value
     */
    public static function parse(
        #[\SensitiveParameter] string $text,
        Role $role,
        string $scheme,
        #[\SensitiveParameter] string $url,
    ): self {
        $query = self::parseQuery($text, $url);
        $ssl = [];
        $connectTimeout = null;
        $readTimeout = null;
        $database = null;
        $unix = $scheme === 'redis+socket' || $scheme === 'unix';
        foreach ($query as $key => $value) {
            if ($unix) {
                if ($key === 'virtual_host' || ($key === 'db' && ($scheme === 'unix' || $role === Role::Backend))) {
                    $database = Dsn::database($value, sprintf('the option "%s"', $key), $url);
                } elseif ($key === 'socket_timeout') {
                    $readTimeout = self::seconds($key, $value, $url);
                } elseif (in_array($key, ['socket_connect_timeout', ...self::REDIS_PY_IGNORED], true)) {
                    // redis-py arguments; kombu drops the connect timeout for sockets.
                } else {
                    throw self::unknownOption($key, $role, $scheme, $url);
                }
            } elseif (str_starts_with($key, 'ssl_')) {
                if ($role === Role::Backend && $scheme === 'redis') {
                    throw InvalidBrokerUrl::because(
                        $url,
                        sprintf('the option "%s" is a TLS option on a redis:// URL; Celery\'s result backend '
                            . 'rejects that: write rediss://.', $key),
                    );
                }
                $ssl[$key] = $value;
            } elseif ($role === Role::Broker && $key === 'connect_timeout') {
                $connectTimeout = self::seconds($key, $value, $url);
            } elseif ($role === Role::Backend && $key === 'socket_timeout') {
                $readTimeout = self::seconds($key, $value, $url);
            } elseif ($role === Role::Backend && $key === 'socket_connect_timeout') {
                $connectTimeout = self::seconds($key, $value, $url);
            } elseif ($role === Role::Backend && $key === 'db') {
                $database = Dsn::database($value, 'the option "db"', $url);
            } elseif ($role === Role::Backend && in_array($key, ['virtual_host', ...self::REDIS_PY_IGNORED], true)) {
                // Celery takes these; the db in the path wins over virtual_host on a TCP URL.
            } elseif ($role === Role::Broker && in_array($key, self::BROKER_IGNORED, true)) {
                // kombu Connection arguments that the Redis transport never uses.
            } else {
                throw self::unknownOption($key, $role, $scheme, $url);
            }
        }
        return new self($ssl, $connectTimeout, $readTimeout, $database, $query);
    }

    /**
     * As Python's parse_qsl: "+" is a space, %XX decoded, the last of a repeated key wins.
     *
     * @return array<string, string>
     */
    private static function parseQuery(#[\SensitiveParameter] string $text, #[\SensitiveParameter] string $url): array
    {
        $query = [];
        foreach (explode('&', $text) as $pair) {
            if ($pair === '') {
                continue;
            }
            $equals = strpos($pair, '=');
            if ($equals === false) {
                throw InvalidBrokerUrl::because($url, sprintf('the query part "%s" has no "=value".', urldecode($pair)));
            }
            $query[urldecode(substr($pair, 0, $equals))] = urldecode(substr($pair, $equals + 1));
        }
        return $query;
    }

    /**
     * @param array<string, string> $ssl
     */
    public static function tls(#[\SensitiveParameter] array $ssl, #[\SensitiveParameter] string $url): TlsOptions
    {
        foreach (array_keys($ssl) as $key) {
            if (!in_array($key, TlsOptions::KEYS, true)) {
                throw InvalidBrokerUrl::because(
                    $url,
                    sprintf('the TLS option "%s" is unknown; known (redis-py names): %s.', $key, implode(', ', TlsOptions::KEYS)),
                );
            }
        }
        if (isset($ssl['ssl_check_hostname'])) {
            $ssl['ssl_check_hostname'] = TlsOptions::bool($ssl['ssl_check_hostname']);
        }
        try {
            return TlsOptions::fromArray($ssl, 'URL');
        } catch (\InvalidArgumentException $e) {
            // Name the option that is wrong (TlsOptions says 'Setting "URL[ssl_...]" has ...').
            throw InvalidBrokerUrl::because(
                $url,
                (string) preg_replace('/^Setting "URL\[([a-z_]+)\]"/', 'the TLS option "$1"', $e->getMessage()),
            );
        }
    }

    private static function unknownOption(
        #[\SensitiveParameter] string $key,
        Role $role,
        string $scheme,
        #[\SensitiveParameter] string $url,
    ): InvalidBrokerUrl {
        if ($key === 'credential_provider') {
            return InvalidBrokerUrl::because(
                $url,
                'the option "credential_provider" names a Python class, which PHP cannot load: put the user and password in the URL.',
            );
        }
        if ($role === Role::Broker && $scheme !== 'redis+socket' && $scheme !== 'unix') {
            return InvalidBrokerUrl::because($url, sprintf(
                'the option "%s" is not accepted on a broker URL (kombu raises TypeError): only ssl_* '
                . 'and connect_timeout are. Put transport options (socket_timeout, visibility_timeout, '
                . 'global_keyprefix, ...) in broker_transport_options.',
                $key,
            ));
        }
        return InvalidBrokerUrl::because($url, sprintf(
            'the option "%s" is not a Redis connection option that CeleryBridge knows (%s).',
            $key,
            $scheme === 'redis+socket' || $scheme === 'unix'
                ? 'known: virtual_host, socket_timeout'
                : 'known: db, socket_timeout, socket_connect_timeout and the ssl_* options',
        ));
    }

    private static function seconds(
        #[\SensitiveParameter] string $key,
        #[\SensitiveParameter] string $value,
        #[\SensitiveParameter] string $url,
    ): float {
        if (!is_numeric($value) || (float) $value <= 0) {
            throw InvalidBrokerUrl::because(
                $url,
                sprintf('the option "%s" is "%s", not a positive number of seconds.', $key, $value),
            );
        }
        return (float) $value;
    }
}
