<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Wire\PlainText;

/**
 * The connection settings of one connection (the broker's or the result backend's), read from
 * the client config under Celery's setting names:
 *
 * - broker_transport_options (broker): master_name, sentinel_kwargs, min_other_sentinels,
 *   socket_timeout, socket_connect_timeout, health_check_interval; its other keys belong to
 *   the broker.
 * - result_backend_transport_options (backend): master_name, sentinel_kwargs,
 *   min_other_sentinels; its other keys belong to the backend.
 * - broker_use_ssl (broker), redis_backend_use_ssl (backend): ssl_* options
 *   (TlsOptions::KEYS), or true.
 * - broker_connection_timeout (broker): connect timeout in seconds, Celery's default 4.
 * - redis_socket_connect_timeout, redis_socket_timeout (backend): connect and read timeouts;
 *   Celery's read default is 120 s.
 * - redis_client (ours): 'auto' (phpredis when loaded, else Predis), 'phpredis', 'predis'.
 * - redis_persistent (ours): keep the socket open across PHP-FPM requests.
 * - task_publish_retry, task_publish_retry_policy (broker): RetryPolicy.
 *
 * Settings of the other role are ignored, so one array can serve both connections.
 */
final class ConnectionOptions
{
    /** Celery's `broker_connection_timeout` default. */
    public const BROKER = Dsn::BROKER;
    public const BACKEND = Dsn::BACKEND;

    public const DEFAULT_CONNECT_TIMEOUT = 4.0;
    /**
     * kombu waits forever for a reply by default; a PHP request should not. 10 s is far above
     * what LPUSH takes even on a loaded server.
     */
    public const DEFAULT_READ_TIMEOUT = 10.0;
    /** Celery's `redis_socket_timeout` default. */
    public const DEFAULT_BACKEND_READ_TIMEOUT = 120.0;
    /**
     * Seconds of quiet after which a publish first checks the connection with PING. kombu's
     * health_check_interval (25 s) serves a long-lived worker; a publisher wants to know
     * sooner whether a socket is still good, so that a failure is known to precede the write.
     */
    public const DEFAULT_HEALTH_CHECK_INTERVAL = 1.0;

    public const CLIENT_AUTO = 'auto';
    public const CLIENT_PHPREDIS = 'phpredis';
    public const CLIENT_PREDIS = 'predis';

    public const KEYS = [
        'broker_transport_options',
        'result_backend_transport_options',
        'broker_use_ssl',
        'redis_backend_use_ssl',
        'broker_connection_timeout',
        'redis_socket_timeout',
        'redis_socket_connect_timeout',
        'redis_client',
        'redis_persistent',
        'task_publish_retry',
        'task_publish_retry_policy',
        'task_publish_timeout',
    ];

    private function __construct(
        public readonly string $role,
        public readonly string $client,
        public readonly ?float $connectTimeout,
        public readonly ?float $readTimeout,
        public readonly bool $persistent,
        public readonly ?TlsOptions $tls,
        /** master_name, min_other_sentinels and sentinel_kwargs; null when none is set. */
        public readonly ?SentinelOptions $sentinel,
        public readonly RetryPolicy $retryPolicy,
        public readonly float $healthCheckInterval,
        public readonly ?string $clientName = null,
    ) {
    }

    public static function defaults(string $role = Dsn::BROKER): self
    {
        return self::fromConfig([], $role);
    }

    /**
     * @param array<string, mixed> $config only the keys in self::KEYS
     *
     * @throws InvalidConfiguration naming the unknown or invalid key
     */
    public static function fromConfig(#[\SensitiveParameter] array $config, string $role = Dsn::BROKER): self
    {
        foreach (array_keys($config) as $key) {
            if (!in_array($key, self::KEYS, true)) {
                throw InvalidConfiguration::unknown((string) $key, self::KEYS);
            }
        }
        $backend = $role === Dsn::BACKEND;
        $transportKey = $backend ? 'result_backend_transport_options' : 'broker_transport_options';
        $transport = $config[$transportKey] ?? [];
        if (!is_array($transport)) {
            throw InvalidConfiguration::invalid($transportKey, $transport, 'expected an array.');
        }

        $client = $config['redis_client'] ?? self::CLIENT_AUTO;
        if (!in_array($client, [self::CLIENT_AUTO, self::CLIENT_PHPREDIS, self::CLIENT_PREDIS], true)) {
            throw InvalidConfiguration::invalid('redis_client', $client, "expected 'auto', 'phpredis' or 'predis'.");
        }
        $persistent = $config['redis_persistent'] ?? false;
        if (!is_bool($persistent)) {
            throw InvalidConfiguration::invalid('redis_persistent', $persistent, 'expected true or false.');
        }

        if ($backend) {
            $connectTimeout = self::seconds($config, 'redis_socket_connect_timeout');
            $readTimeout = self::seconds($config, 'redis_socket_timeout');
        } else {
            $connectTimeout = self::seconds($transport, 'socket_connect_timeout', $transportKey)
                ?? self::seconds($config, 'broker_connection_timeout');
            $readTimeout = self::seconds($transport, 'socket_timeout', $transportKey);
        }

        $sslKey = $backend ? 'redis_backend_use_ssl' : 'broker_use_ssl';
        $ssl = $config[$sslKey] ?? null;
        $tls = match (true) {
            $ssl === null, $ssl === false, $ssl === [] => null,
            $ssl === true => TlsOptions::none()->withCertReqs(TlsOptions::REQUIRED),
            is_array($ssl) => TlsOptions::fromArray($ssl, $sslKey),
            default => throw InvalidConfiguration::invalid($sslKey, $ssl, 'expected an array of ssl_* options (as in Celery) or true.'),
        };

        // Only a sentinel setup has these: other clients never load SentinelOptions.
        $sentinel = isset($transport['master_name'])
            || isset($transport['min_other_sentinels'])
            || isset($transport['sentinel_kwargs'])
            ? SentinelOptions::fromTransport($transport, $transportKey)
            : null;

        return new self(
            $role,
            $client,
            $connectTimeout,
            $readTimeout,
            $persistent,
            $tls,
            $sentinel,
            $backend ? RetryPolicy::never() : RetryPolicy::fromConfig($config),
            self::interval($transport, $transportKey),
            self::clientName($transport, $transportKey),
        );
    }

    /**
     * kombu's client_name transport option: CLIENT SETNAME on each connection, so that CLIENT
     * LIST shows which application holds it. Redis refuses spaces and control characters.
     *
     * @param array<mixed> $transport
     */
    private static function clientName(array $transport, string $transportKey): ?string
    {
        $name = $transport['client_name'] ?? null;
        if ($name !== null && (!is_string($name) || $name === '' || PlainText::hasControl($name, orSpace: true))) {
            throw InvalidConfiguration::invalid($transportKey . '[client_name]', $name, 'expected a name without spaces.');
        }
        return $name;
    }

    public function defaultReadTimeout(): float
    {
        return $this->role === Dsn::BACKEND ? self::DEFAULT_BACKEND_READ_TIMEOUT : self::DEFAULT_READ_TIMEOUT;
    }

    /**
     * @param array<mixed> $transport
     */
    private static function interval(#[\SensitiveParameter] array $transport, string $transportKey): float
    {
        $value = $transport['health_check_interval'] ?? self::DEFAULT_HEALTH_CHECK_INTERVAL;
        if ((!is_int($value) && !is_float($value)) || $value < 0 || !is_finite((float) $value)) {
            $name = $transportKey . '[health_check_interval]';
            throw InvalidConfiguration::invalid($name, $value, 'expected a number of seconds >= 0 (0: check before every publish).');
        }
        return (float) $value;
    }

    /**
     * A number of seconds > 0 from a settings array, or null when absent (also SentinelOptions').
     *
     * @param array<mixed> $from
     */
    public static function seconds(#[\SensitiveParameter] array $from, string $key, ?string $inside = null): ?float
    {
        if (!isset($from[$key])) {
            return null;
        }
        $value = $from[$key];
        if ((!is_int($value) && !is_float($value)) || $value <= 0 || !is_finite((float) $value)) {
            $name = $inside === null ? $key : sprintf('%s[%s]', $inside, $key);
            throw InvalidConfiguration::invalid($name, $value, 'expected a number of seconds > 0.');
        }
        return (float) $value;
    }
}
