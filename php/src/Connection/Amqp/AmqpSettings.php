<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Exception\InvalidConfiguration;

/**
 * The settings of a RabbitMQ broker connection, under Celery's names where Celery has one:
 *
 * - amqp_client (ours, like redis_client): 'auto' (php-amqplib when installed, else ext-amqp),
 *   'php-amqplib' or 'ext-amqp';
 * - broker_heartbeat (seconds; 0 = none, what Celery's publishing connection negotiates), the
 *   URL's ?heartbeat= wins;
 * - broker_connection_timeout (seconds, 4 by default), the URL's ?connect_timeout= wins;
 * - broker_use_ssl: true, or Python's ssl options (keyfile, certfile, ca_certs, cert_reqs,
 *   server_hostname) as Celery takes them for amqps;
 * - broker_failover_strategy: 'round-robin' (Celery's default) or 'shuffle';
 * - broker_transport_options: confirm_publish (on by default here: Celery's is off, but only a
 *   confirm says a message reached RabbitMQ) and the confirm wait (confirm_timeout, seconds);
 *   kombu's other pyamqp options are accepted and change nothing for a publisher;
 * - amqp_declare (ours): 'declare' (exchange, queue and binding with the workers' arguments,
 *   when RabbitMQ says a task's route is missing: see AmqpTransport), 'always' (as Celery: before
 *   the first publish on each connection) or 'passive' (only check that they exist; never create);
 * - task_default_delivery_mode: 'persistent' (2, Celery's default) or 'transient' (1: RabbitMQ
 *   keeps the messages in memory only, and loses them when it restarts).
 *
 * @internal
 */
final class AmqpSettings
{
    public const AUTO = 'auto';
    public const PHP_AMQPLIB = 'php-amqplib';
    public const EXT_AMQP = 'ext-amqp';

    public const DECLARE = 'declare';
    public const PASSIVE = 'passive';
    public const ALWAYS = 'always';

    /** The config keys read here (CeleryClient takes them out before ClientConfig sees them). */
    public const KEYS = [
        'amqp_client', 'amqp_declare', 'broker_heartbeat', 'broker_use_ssl', 'broker_failover_strategy',
        'broker_transport_options', 'task_default_delivery_mode',
    ];

    /** kombu's pyamqp transport options and ours. */
    private const TRANSPORT_OPTIONS = [
        'confirm_publish', 'confirm_timeout', 'max_retries', 'interval_start', 'interval_step', 'interval_max',
        'client_properties', 'connect_timeout', 'read_timeout', 'write_timeout', 'socket_settings', 'login_method',
    ];

    /** PHP's ssl stream context options (a key's passphrase among them), kept out of dumps. */
    private readonly ?\SensitiveParameterValue $tls;

    /**
     * @param array<string, mixed>|null $ssl PHP stream context ssl options, null without TLS
     */
    public function __construct(
        public readonly string $client = self::AUTO,
        public readonly int $heartbeat = 0,
        public readonly float $connectTimeout = 4.0,
        public readonly float $readTimeout = 10.0,
        #[\SensitiveParameter] ?array $ssl = null,
        public readonly bool $shuffle = false,
        public readonly bool $confirm = true,
        public readonly float $confirmTimeout = 10.0,
        public readonly bool $passive = false,
        public readonly int $deliveryMode = 2,
        /** amqp_declare 'always': declare before the first publish of each connection, as Celery. */
        public readonly bool $declareFirst = false,
    ) {
        $this->tls = $ssl === null ? null : new \SensitiveParameterValue($ssl);
    }

    /**
     * The ssl stream context options of broker_use_ssl, null when it asks for no TLS.
     *
     * @return array<string, mixed>|null
     */
    public function ssl(): ?array
    {
        $ssl = $this->tls?->getValue();
        \assert($ssl === null || is_array($ssl));
        return $ssl;
    }

    /**
     * @param array<string, mixed> $config Celery setting names (only self::KEYS and
     *        broker_connection_timeout / task_publish_timeout are read)
     * @throws InvalidConfiguration
     */
    public static function fromConfig(#[\SensitiveParameter] array $config): self
    {
        $client = $config['amqp_client'] ?? self::AUTO;
        if (!in_array($client, [self::AUTO, self::PHP_AMQPLIB, self::EXT_AMQP], true)) {
            throw InvalidConfiguration::invalid('amqp_client', $client, "expected 'auto', 'php-amqplib' or 'ext-amqp'.");
        }
        $declare = $config['amqp_declare'] ?? self::DECLARE;
        if (!in_array($declare, [self::DECLARE, self::ALWAYS, self::PASSIVE], true)) {
            throw InvalidConfiguration::invalid('amqp_declare', $declare, "expected 'declare', 'always' or 'passive'.");
        }
        $heartbeat = $config['broker_heartbeat'] ?? 0;
        if (!is_int($heartbeat) && !is_float($heartbeat) || !($heartbeat >= 0 && $heartbeat <= 65535)) {
            throw InvalidConfiguration::invalid('broker_heartbeat', $heartbeat, 'expected a number of seconds up to 65535 '
                . '(0: no heartbeats).');
        }
        // AMQP negotiates whole seconds: 0.5 s is 1 s, not 0 (which would turn heartbeats off).
        $heartbeat = (int) ceil($heartbeat);
        $strategy = $config['broker_failover_strategy'] ?? 'round-robin';
        if ($strategy !== 'round-robin' && $strategy !== 'shuffle') {
            throw InvalidConfiguration::invalid('broker_failover_strategy', $strategy, "expected 'round-robin' or 'shuffle'.");
        }
        $options = $config['broker_transport_options'] ?? [];
        if (!is_array($options) || ($options !== [] && array_is_list($options))) {
            throw InvalidConfiguration::invalid('broker_transport_options', $options, 'expected an array of name => value.');
        }
        foreach (array_keys($options) as $key) {
            if (!in_array($key, self::TRANSPORT_OPTIONS, true)) {
                throw InvalidConfiguration::unknown(
                    "broker_transport_options.$key",
                    array_map(static fn (string $k): string => "broker_transport_options.$k", self::TRANSPORT_OPTIONS),
                );
            }
        }
        $confirm = $options['confirm_publish'] ?? true;
        if (!is_bool($confirm)) {
            throw InvalidConfiguration::invalid('broker_transport_options.confirm_publish', $confirm, 'expected true or false.');
        }
        return new self(
            client: $client,
            heartbeat: (int) $heartbeat,
            connectTimeout: self::seconds('broker_connection_timeout', $config['broker_connection_timeout'] ?? 4.0),
            readTimeout: self::seconds('broker_transport_options.read_timeout', $options['read_timeout'] ?? 10.0),
            ssl: self::sslOptions($config['broker_use_ssl'] ?? null),
            shuffle: $strategy === 'shuffle',
            confirm: $confirm,
            confirmTimeout: self::seconds(
                'broker_transport_options.confirm_timeout',
                $options['confirm_timeout'] ?? $config['task_publish_timeout'] ?? 10.0,
            ),
            passive: $declare === self::PASSIVE,
            deliveryMode: match ($config['task_default_delivery_mode'] ?? 'persistent') {
                'persistent', 2 => 2,
                'transient', 1 => 1,
                default => throw InvalidConfiguration::invalid(
                    'task_default_delivery_mode',
                    $config['task_default_delivery_mode'],
                    "expected 'persistent' or 'transient' (or 2, 1).",
                ),
            },
            declareFirst: $declare === self::ALWAYS,
        );
    }

    private static function seconds(string $name, mixed $value): float
    {
        if ((!is_int($value) && !is_float($value)) || !is_finite((float) $value) || $value <= 0) {
            throw InvalidConfiguration::invalid($name, $value, 'expected a positive number of seconds.');
        }
        return (float) $value;
    }

    /**
     * broker_use_ssl as Celery takes it for py-amqp: true (verify against the system CAs), false,
     * or Python's ssl.wrap_socket() arguments. cert_reqs: 'CERT_NONE' (or 0), 'CERT_OPTIONAL' (1),
     * 'CERT_REQUIRED' (2).
     *
     * @return array<string, mixed>|null PHP's ssl stream context options
     * @throws InvalidConfiguration
     */
    private static function sslOptions(#[\SensitiveParameter] mixed $value): ?array
    {
        if ($value === null || $value === false) {
            return null;
        }
        if ($value === true) {
            return ['verify_peer' => true, 'verify_peer_name' => true];
        }
        if (!is_array($value)) {
            throw InvalidConfiguration::invalid('broker_use_ssl', $value, 'expected true, or an array of ssl options.');
        }
        $known = ['keyfile', 'certfile', 'ca_certs', 'cert_reqs', 'server_hostname', 'password'];
        $context = ['verify_peer' => true, 'verify_peer_name' => true];
        foreach ($value as $key => $option) {
            if ($key !== 'cert_reqs' && (!is_string($option) || $option === '')) {
                throw InvalidConfiguration::invalid("broker_use_ssl.$key", $key === 'password' ? '(hidden)' : $option, 'expected a '
                    . ($key === 'password' ? 'passphrase' : 'file path or host name') . ' (a non-empty string).');
            }
            $context += match ($key) {
                'keyfile' => ['local_pk' => $option],
                'certfile' => ['local_cert' => $option],
                'ca_certs' => ['cafile' => $option],
                'password' => ['passphrase' => $option],
                'server_hostname' => ['peer_name' => $option],
                'cert_reqs' => [],
                default => throw InvalidConfiguration::unknown("broker_use_ssl.$key", array_map(
                    static fn (string $k): string => "broker_use_ssl.$k",
                    $known,
                )),
            };
        }
        $reqs = $value['cert_reqs'] ?? 'CERT_REQUIRED';
        if (in_array($reqs, ['CERT_NONE', 0, 'none'], true)) {
            $context['verify_peer'] = false;
            $context['verify_peer_name'] = false;
        } elseif (!in_array($reqs, ['CERT_REQUIRED', 'CERT_OPTIONAL', 1, 2, 'required', 'optional'], true)) {
            $expected = "expected 'CERT_NONE', 'CERT_OPTIONAL' or 'CERT_REQUIRED'.";
            throw InvalidConfiguration::invalid('broker_use_ssl.cert_reqs', $reqs, $expected);
        }
        return $context;
    }
}
