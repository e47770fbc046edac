<?php

declare(strict_types=1);

namespace CeleryBridge\Config;

use CeleryBridge\Broker\QueueKeys;
use CeleryBridge\Broker\TaskRouter;
use CeleryBridge\Connection\ConnectionOptions;
use CeleryBridge\Connection\Role;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\TaskOptions;
use CeleryBridge\Validation\Check;
use CeleryBridge\Wire\BodyEncoder;
use CeleryBridge\Wire\Compression;

// Imported: each request a PHP-FPM child serves looks an unqualified call up in the namespace first.
use function array_diff_key;
use function array_intersect_key;
use function array_key_exists;
use function array_keys;
use function ctype_print;
use function in_array;
use function is_string;
use function mb_check_encoding;

/**
 * The client's settings, under Celery's setting names, so a celeryconfig can be copied over.
 */
final class ClientConfig
{
    /**
     * result_max_size when not set, 16 MiB: decoding takes 4-6 times the JSON's size in PHP
     * memory, which still fits the default memory_limit of 128M.
     */
    public const DEFAULT_RESULT_MAX_SIZE = 16777216;

    /**
     * Written out, CONNECTION_NAMES included (ClientConfigTest holds them together): a constant
     * built from another one is evaluated again in every request that constructs a client
     * (opcache keeps only literal constants in shared memory).
     */
    public const NAMES = [
        'task_default_queue', 'task_default_priority', 'task_routes', 'task_serializer', 'task_compression',
        'task_protocol', 'task_publish_retry', 'task_publish_retry_policy', 'result_expires',
        'broker_transport_options', 'result_backend_transport_options', 'control_exchange',
        'result_max_size', 'task_send_sent_event', 'event_exchange',
        'broker_use_ssl', 'redis_backend_use_ssl', 'broker_connection_timeout', 'redis_socket_timeout',
        'redis_socket_connect_timeout', 'redis_client', 'redis_persistent', 'task_publish_timeout',
        // Ours for a RabbitMQ broker (Connection\Amqp\AmqpSettings reads them).
        'amqp_client', 'amqp_declare',
    ];

    /** CONNECTION_NAMES as keys, for array_intersect_key() (ClientConfigTest holds them equal). */
    private const CONNECTION_KEYS = [
        'broker_use_ssl' => true, 'redis_backend_use_ssl' => true, 'broker_connection_timeout' => true,
        'redis_socket_timeout' => true, 'redis_socket_connect_timeout' => true, 'redis_client' => true,
        'redis_persistent' => true, 'task_publish_timeout' => true,
    ];
    /** The broker's own among them: the result backend's connection never reads them (ClientConfigTest). */
    private const BROKER_ONLY_KEYS = ['broker_use_ssl' => true, 'broker_connection_timeout' => true, 'task_publish_timeout' => true];

    /** Settings read by the connection layer (Connection\ConnectionOptions). */
    public const CONNECTION_NAMES = [
        'broker_use_ssl', 'redis_backend_use_ssl', 'broker_connection_timeout', 'redis_socket_timeout',
        'redis_socket_connect_timeout', 'redis_client', 'redis_persistent', 'task_publish_timeout',
    ];

    /** The transport options the connection layer reads (ClientConfigTest holds every other one unread). */
    private const CONNECTION_TRANSPORT_KEYS = [
        'socket_timeout' => true, 'socket_connect_timeout' => true, 'health_check_interval' => true,
        'client_name' => true, 'master_name' => true, 'min_other_sentinels' => true, 'sentinel_kwargs' => true,
    ];

    // The constructor writes these three only when set: a client without settings leaves them.
    /** null for kombu's defaults: made by queueKeys() on first use (a plain publish needs none). */
    private ?QueueKeys $queueKeys = null;
    /** null when its settings need no checking: made on first use (a client that only sends never does) */
    private ?ConnectionOptions $backendConnectionOptions = null;
    /** @var array<string, mixed> the settings backendConnectionOptions() reads */
    private array $backendConnectionConfig = [];

    /**
     * @param string $backendKeyPrefix result_backend_transport_options' global_keyprefix, as the backend applies it
     * @param ConnectionOptions $brokerConnectionOptions the broker connection's options, with the publish retry policy
     */
    private function __construct(
        public readonly string $defaultQueue,
        public readonly ?int $defaultPriority,
        /** null without task_routes, so that clients without routes never load the router. */
        public readonly ?TaskRouter $routes,
        public readonly string $serializer,
        public readonly ?string $compression,
        public readonly int $protocol,
        public readonly ?int $resultExpires,
        ?QueueKeys $queueKeys,
        public readonly string $backendKeyPrefix,
        public readonly string $controlExchange,
        public readonly ConnectionOptions $brokerConnectionOptions,
        ?ConnectionOptions $backendConnectionOptions,
        public readonly ?int $resultMaxSize,
        public readonly bool $sendSentEvent,
        public readonly string $eventExchange,
        /** kombu's fanout_prefix: true = "/{db}.", false = none, or a custom prefix. */
        public readonly bool|string $fanoutPrefix,
        public readonly bool $fanoutPatterns,
        #[\SensitiveParameter] array $backendConnectionConfig,
    ) {
        if ($queueKeys !== null || $backendConnectionOptions !== null) {
            $this->queueKeys = $queueKeys;
            $this->backendConnectionOptions = $backendConnectionOptions;
        }
        if ($backendConnectionConfig !== []) {
            $this->backendConnectionConfig = $backendConnectionConfig;
        }
    }

    /** The names of each queue's Redis lists (broker_transport_options' priority_steps, sep, global_keyprefix). */
    public function queueKeys(): QueueKeys
    {
        return $this->queueKeys ??= new QueueKeys();
    }

    /**
     * The Redis list of a queue and priority, as queueKeys()->listFor(): with kombu's default
     * keys a message of priority 0 goes to the list named like the queue (without making the keys).
     */
    public function listFor(string $queue, int $priority): string
    {
        return $priority === 0 && $this->queueKeys === null ? $queue : $this->queueKeys()->listFor($queue, $priority);
    }

    /** The result backend connection's options (its settings were checked by fromArray()). */
    public function backendConnectionOptions(): ConnectionOptions
    {
        return $this->backendConnectionOptions ??= ConnectionOptions::fromConfig($this->backendConnectionConfig, Role::Backend);
    }

    /**
     * The config under the new setting names: Celery's old upper-case names (BROKER_URL,
     * CELERY_DEFAULT_QUEUE...) and Django's CELERY_ form (CELERY_TASK_DEFAULT_QUEUE) renamed, as
     * Celery reads them (SettingNames, loaded only when a name is not a new one).
     *
     * @param array<string, mixed> $config
     * @return array<string, mixed>
     * @throws InvalidConfiguration
     */
    public static function withCeleryNames(#[\SensitiveParameter] array $config): array
    {
        foreach (array_keys($config) as $name) {
            if (!in_array($name, self::NAMES, true) && !isset(CelerySettings::NAMES[$name])) {
                return SettingNames::canonical($config);
            }
        }
        return $config;
    }

    /**
     * @param array<string, mixed> $config
     * @throws InvalidConfiguration
     */
    public static function fromArray(#[\SensitiveParameter] array $config): self
    {
        if ($config === [] || ConnectionOptions::isPlain($config)) {
            // No settings, or only a valid redis_client and redis_persistent (a PHP-FPM application's
            // client in every request): what the general way below makes of them (ClientConfigTest
            // holds them equal), positional (named arguments are matched to parameters at run time).
            return new self(
                'celery',
                null,
                null,
                'json',
                null,
                2,
                86400,
                null,
                '',
                'celery',
                ConnectionOptions::ofPlain($config, Role::Broker),
                null,
                self::DEFAULT_RESULT_MAX_SIZE,
                false,
                'celeryev',
                true,
                true,
                $config,
            );
        }
        foreach (array_keys($config) as $name) {
            // Any name Celery knows is accepted, so a Python celeryconfig copies over; the
            // worker-side ones (concurrency, prefetch, acks_late, timezone...) change nothing here.
            if (!in_array($name, self::NAMES, true) && !isset(CelerySettings::NAMES[$name])) {
                throw InvalidConfiguration::unknown(
                    (string) $name,
                    [...self::NAMES, ...array_keys(CelerySettings::NAMES)],
                    [...self::NAMES, '(and every other Celery setting name, accepted and ignored)'],
                );
            }
        }
        $serializer = $config['task_serializer'] ?? 'json';
        // (json, the default, is known without loading BodyEncoder.)
        $serializer = $serializer === 'json' ? 'json' : Check::setting()->choice('task_serializer', $serializer, BodyEncoder::SERIALIZERS);
        if (isset($config['result_serializer']) || isset($config['accept_content']) || isset($config['result_accept_content'])) {
            ContentSettings::check($config, $serializer);
        }
        // A client without transport options (the common one) never loads TransportOptions.
        $brokerOptions = isset($config['broker_transport_options'])
            ? TransportOptions::broker($config['broker_transport_options']) : [];
        $backendOptions = isset($config['result_backend_transport_options'])
            ? TransportOptions::backend($config['result_backend_transport_options']) : [];
        // Each connection reads only what it uses: without that, the defaults, without the reader.
        $connection = $config === [] ? [] : array_intersect_key($config, self::CONNECTION_KEYS);
        $backendConnection = (array_intersect_key($backendOptions, self::CONNECTION_TRANSPORT_KEYS) === []
            ? [] : ['result_backend_transport_options' => $backendOptions]) + array_diff_key($connection, self::BROKER_ONLY_KEYS);
        // (Positional, in the constructor's order, as above: about 4,000 instructions less per request.)
        return new self(
            isset($config['task_default_queue']) ? self::text('task_default_queue', $config['task_default_queue']) : 'celery',
            isset($config['task_default_priority']) ? NumberSettings::priority($config['task_default_priority']) : null,
            ($config['task_routes'] ?? []) === [] ? null : TaskRouter::fromConfig($config['task_routes']),
            $serializer,
            isset($config['task_compression'])
                ? Check::setting()->choice('task_compression', $config['task_compression'], Compression::NAMES) : null,
            isset($config['task_protocol']) ? Check::setting()->choice('task_protocol', $config['task_protocol'], [1, 2]) : 2,
            array_key_exists('result_expires', $config) ? NumberSettings::expires($config['result_expires']) : 86400,
            // (Without priority_steps, sep and global_keyprefix the lists are kombu's: made when needed.)
            isset($brokerOptions['priority_steps']) || isset($brokerOptions['sep'])
                || isset($brokerOptions['global_keyprefix']) ? TransportOptions::queueKeys($brokerOptions) : null,
            $backendOptions === [] ? '' : TransportOptions::backendKeyPrefix($backendOptions),
            isset($config['control_exchange']) ? self::text('control_exchange', $config['control_exchange']) : 'celery',
            // Each connection setting is checked once, here, for the role that reads it (with the
            // publish retry settings); with none, the defaults, without ConnectionOptionsReader.
            $config === [] ? ConnectionOptions::defaults(Role::Broker) : ConnectionOptions::fromConfig(
                (array_intersect_key($brokerOptions, self::CONNECTION_TRANSPORT_KEYS) === []
                    ? [] : ['broker_transport_options' => $brokerOptions])
                + array_intersect_key($config, ['task_publish_retry' => true, 'task_publish_retry_policy' => true])
                + $connection,
                Role::Broker,
            ),
            // Settings that could be wrong are checked now, for the backend too: an error names
            // them at construction, whether or not a backend is used.
            ConnectionOptions::isPlain($backendConnection)
                ? null : ConnectionOptions::fromConfig($backendConnection, Role::Backend),
            array_key_exists('result_max_size', $config)
                ? NumberSettings::maxSize($config['result_max_size']) : self::DEFAULT_RESULT_MAX_SIZE,
            isset($config['task_send_sent_event'])
                && Check::setting()->bool('task_send_sent_event', $config['task_send_sent_event']),
            isset($config['event_exchange']) ? self::text('event_exchange', $config['event_exchange']) : 'celeryev',
            $brokerOptions === [] ? true : TransportOptions::fanoutPrefix($brokerOptions),
            $brokerOptions === [] ? true : TransportOptions::fanoutPatterns($brokerOptions),
            $backendConnection,
        );
    }

    /** A name setting that was given, checked (a client with the defaults does not load Check). */
    private static function text(string $name, mixed $value): string
    {
        // Printable ASCII, the common queue or exchange name, passes without loading the checks
        // (ASCII first: ctype_print() alone follows the locale).
        if (is_string($value) && $value !== '' && mb_check_encoding($value, 'ASCII') && ctype_print($value)) {
            return $value;
        }
        return Check::setting()->text($name, $value);
    }

    /**
     * Where a task goes: options given to the call win over task_routes, which win over the
     * defaults (Celery's order).
     */
    public function deliveryFor(string $task, ?TaskOptions $options): Delivery
    {
        $route = $this->routes?->route($task) ?? [];
        $exchange = $options?->exchange ?? $route['exchange'] ?? '';
        $routingKey = $options?->routingKey ?? $route['routing_key'] ?? null;
        $queue = $options?->queue ?? $route['queue'] ?? $this->defaultQueue;
        $priority = $options?->priority ?? $route['priority'] ?? $this->defaultPriority ?? 0;
        // Celery only routes through a named exchange when both exchange and routing key are
        // set; otherwise it publishes to the queue through the anonymous exchange.
        if ($exchange === '' || $routingKey === null) {
            return new Delivery($queue, $priority);
        }
        return new Delivery($queue, $priority, $exchange, $routingKey);
    }

    /**
     * broker_url or result_backend from a celeryconfig: a string, or null when absent.
     *
     * @param array<string, mixed> $config
     * @throws InvalidConfiguration
     */
    public static function url(#[\SensitiveParameter] array $config, string $name): ?string
    {
        $url = $config[$name] ?? null;
        if ($url !== null && !is_string($url)) {
            throw InvalidConfiguration::invalid($name, $url, 'expected a URL string, e.g. "redis://localhost:6379/0".');
        }
        return $url;
    }
}
