<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidBrokerUrl;
use CeleryBridge\Exception\InvalidConfiguration;

// Imported: each request a PHP-FPM child serves looks an unqualified call up in the namespace first.
use function array_diff_key;
use function extension_loaded;
use function is_bool;
use function is_string;

/**
 * The connection settings of one connection (the broker's or the result backend's), from the
 * client config under Celery's setting names (ConnectionOptionsReader reads and checks them):
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
 * - task_publish_retry, task_publish_retry_policy, task_publish_timeout (broker): RetryPolicy.
 *
 * Settings of the other role are ignored, so one array can serve both connections.
 */
final class ConnectionOptions
{
    /** @deprecated Role::Broker */
    public const BROKER = 'broker';
    /** @deprecated Role::Backend */
    public const BACKEND = 'backend';

    /** Celery's `broker_connection_timeout` default. */
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

    /** The settings fromConfig() reads without ConnectionOptionsReader. */
    private const CHOICES = ['redis_client' => true, 'redis_persistent' => true];

    /** @var array<string, self> defaults() by role */
    private static array $defaults = [];

    /**
     * @internal made by defaults() and ConnectionOptionsReader::read(), which check the values
     */
    public function __construct(
        public readonly Role $role,
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

    /**
     * Celery's defaults for this role: what a client without connection settings gets.
     *
     * @param Role|string $role the strings 'broker' and 'backend' are deprecated
     */
    public static function defaults(Role|string $role = Role::Broker): self
    {
        return self::ofPlain([], Role::of($role));
    }

    /**
     * @param array<string, mixed> $config only the keys in self::KEYS
     * @param Role|string $role the strings 'broker' and 'backend' are deprecated
     *
     * @throws InvalidConfiguration naming the unknown or invalid key
     */
    public static function fromConfig(#[\SensitiveParameter] array $config, Role|string $role = Role::Broker): self
    {
        $role = Role::of($role);
        // A client without connection settings (the common one) never loads their reader, nor
        // does one that only picks the client library or persistent sockets (as a PHP-FPM
        // application does), when those are valid: anything else, wrong values included, is
        // the reader's (ConnectionOptionsTest holds both to the same result).
        return self::isPlain($config) ? self::ofPlain($config, $role) : ConnectionOptionsReader::read($config, $role);
    }

    /**
     * The options of settings isPlain() accepts (ClientConfig::fromArray() checks that first).
     *
     * @internal
     * @param array<string, mixed> $config
     */
    public static function ofPlain(#[\SensitiveParameter] array $config, Role $role): self
    {
        // The defaults are made once per role and shared (the object is immutable): a process
        // that creates many clients, such as a long-running worker of a PHP application server,
        // builds them once.
        if ($config === [] && isset(self::$defaults[$role->value])) {
            return self::$defaults[$role->value];
        }
        $options = new self(
            $role,
            $config['redis_client'] ?? self::CLIENT_AUTO,
            null,
            null,
            $config['redis_persistent'] ?? false,
            null,
            null,
            // (RetryPolicy::never() and celeryDefault(), without the call; ConnectionOptionsTest
            // holds them equal.)
            $role === Role::Backend ? new RetryPolicy(false, 0, 0.0, 0.2, 1.0) : new RetryPolicy(true, 3, 0.0, 0.2, 1.0),
            self::DEFAULT_HEALTH_CHECK_INTERVAL,
        );
        return $config === [] ? self::$defaults[$role->value] = $options : $options;
    }

    /**
     * Whether these settings are none, or only a valid redis_client and redis_persistent: read
     * without ConnectionOptionsReader, and nothing in them can fail.
     *
     * @param array<string, mixed> $config
     */
    public static function isPlain(#[\SensitiveParameter] array $config): bool
    {
        if ($config === []) {
            return true;
        }
        $client = $config['redis_client'] ?? self::CLIENT_AUTO;
        return array_diff_key($config, self::CHOICES) === [] && is_bool($config['redis_persistent'] ?? false)
            && ($client === self::CLIENT_AUTO || $client === self::CLIENT_PHPREDIS || $client === self::CLIENT_PREDIS);
    }

    public function defaultReadTimeout(): float
    {
        return $this->role === Role::Backend ? self::DEFAULT_BACKEND_READ_TIMEOUT : self::DEFAULT_READ_TIMEOUT;
    }

    /**
     * The lazy connection to what the user passed as `broker:` / `backend:` for this role: a
     * Celery URL, a connected \Redis or Predis client (used as it is), or a RedisConnection
     * (returned as it is). Publishing retries are the broker's (Broker\RetryingPublisher).
     *
     * @throws InvalidBrokerUrl|InvalidConfiguration
     */
    public function connect(#[\SensitiveParameter] string|object $target): RedisConnection
    {
        if ($target instanceof RedisConnection) {
            return $target;
        }
        if (!is_string($target)) {
            return InjectedClient::connection($target, $this->role);
        }
        $topology = Topology::fromUrl($target, $this);
        // (phpredis when loaded, for 'auto', is library()'s answer without the call.)
        return ($this->client === self::CLIENT_AUTO && extension_loaded('redis'))
            || self::library($this->client, $this->role) === self::CLIENT_PHPREDIS
            ? PhpRedisConnection::fromTopology($topology, $this)
            : PredisConnection::fromTopology($topology, $this);
    }

    /**
     * Which client library a URL connection uses: phpredis when loaded, else Predis.
     *
     * @throws InvalidConfiguration the library asked for, or any, is not installed
     */
    public static function library(string $wanted, Role $role = Role::Broker): string
    {
        return match ($wanted) {
            self::CLIENT_PHPREDIS => extension_loaded('redis') ? self::CLIENT_PHPREDIS : throw InvalidConfiguration::invalid(
                'redis_client',
                $wanted,
                'the phpredis extension (ext-redis) is not loaded; install it, or use redis_client => predis.',
            ),
            self::CLIENT_PREDIS => PredisConnection::available() ? self::CLIENT_PREDIS : throw InvalidConfiguration::invalid(
                'redis_client',
                $wanted,
                'Predis is not installed or not autoloaded (class Predis\Client not found): composer require predis/predis.',
            ),
            default => match (true) {
                extension_loaded('redis') => self::CLIENT_PHPREDIS,
                PredisConnection::available() => self::CLIENT_PREDIS,
                default => throw InvalidConfiguration::noRedisClient($role->describe()),
            },
        };
    }
}
