<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Wire\PlainText;

/**
 * Reads and checks the connection settings a client was given (ConnectionOptions lists them)
 * into ConnectionOptions, with the publish retry settings (RetryPolicy). A client given none
 * gets ConnectionOptions::defaults() and never loads this class.
 *
 * @internal
 */
final class ConnectionSettings
{
    /**
     * @param array<string, mixed> $config only the keys in ConnectionOptions::KEYS
     *
     * @throws InvalidConfiguration naming the unknown or invalid key
     */
    public static function read(#[\SensitiveParameter] array $config, string $role): ConnectionOptions
    {
        foreach (array_keys($config) as $key) {
            if (!in_array($key, ConnectionOptions::KEYS, true)) {
                throw InvalidConfiguration::unknown((string) $key, ConnectionOptions::KEYS);
            }
        }
        $backend = $role === ConnectionOptions::BACKEND;
        $transportKey = $backend ? 'result_backend_transport_options' : 'broker_transport_options';
        $transport = $config[$transportKey] ?? [];
        if (!is_array($transport)) {
            throw InvalidConfiguration::invalid($transportKey, $transport, 'expected an array.');
        }

        $client = $config['redis_client'] ?? ConnectionOptions::CLIENT_AUTO;
        $clients = [ConnectionOptions::CLIENT_AUTO, ConnectionOptions::CLIENT_PHPREDIS, ConnectionOptions::CLIENT_PREDIS];
        if (!in_array($client, $clients, true)) {
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

        return new ConnectionOptions(
            $role,
            $client,
            $connectTimeout,
            $readTimeout,
            $persistent,
            $tls,
            $sentinel,
            $backend ? RetryPolicy::never() : self::retryPolicy($config),
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

    /**
     * The publish retry settings (Celery's defaults for those not given).
     *
     * @param array<string, mixed> $config may hold task_publish_retry, task_publish_retry_policy
     *        and task_publish_timeout
     *
     * @throws InvalidConfiguration
     */
    public static function retryPolicy(#[\SensitiveParameter] array $config): RetryPolicy
    {
        $enabled = $config['task_publish_retry'] ?? true;
        if (!is_bool($enabled)) {
            throw InvalidConfiguration::invalid('task_publish_retry', $enabled, 'expected true or false.');
        }
        $policy = $config['task_publish_retry_policy'] ?? [];
        if (!is_array($policy)) {
            $expected = 'expected an array with ' . implode(', ', RetryPolicy::KEYS) . '.';
            throw InvalidConfiguration::invalid('task_publish_retry_policy', $policy, $expected);
        }
        foreach (array_keys($policy) as $key) {
            if (!in_array($key, RetryPolicy::KEYS, true)) {
                throw InvalidConfiguration::invalid(
                    sprintf('task_publish_retry_policy[%s]', $key),
                    $policy[$key],
                    $key === 'retry_errors' || $key === 'errback'
                        ? 'this one takes Python objects; CeleryBridge retries connection failures only.'
                        : 'unknown key; known: ' . implode(', ', RetryPolicy::KEYS) . '.',
                );
            }
        }
        $default = RetryPolicy::celeryDefault();
        $maxRetries = array_key_exists('max_retries', $policy) ? $policy['max_retries'] : $default->maxRetries;
        if ($maxRetries !== null && (!is_int($maxRetries) || $maxRetries < 0)) {
            throw InvalidConfiguration::invalid(
                'task_publish_retry_policy[max_retries]',
                $maxRetries,
                'expected an integer >= 0, or null to retry forever (as Celery).',
            );
        }
        $timeout = $config['task_publish_timeout'] ?? null;
        if ($timeout !== null && ((!is_int($timeout) && !is_float($timeout)) || !is_finite((float) $timeout) || $timeout <= 0)) {
            throw InvalidConfiguration::invalid(
                'task_publish_timeout',
                $timeout,
                'expected a number of seconds > 0 for the whole publish, or null (bounded by the retry policy only).',
            );
        }
        return new RetryPolicy(
            $enabled,
            $maxRetries,
            self::delaySeconds($policy, 'interval_start', $default->intervalStart),
            self::delaySeconds($policy, 'interval_step', $default->intervalStep),
            self::delaySeconds($policy, 'interval_max', $default->intervalMax),
            $timeout === null ? null : (float) $timeout,
        );
    }

    /**
     * @param array<mixed> $transport
     */
    private static function interval(#[\SensitiveParameter] array $transport, string $transportKey): float
    {
        $value = $transport['health_check_interval'] ?? ConnectionOptions::DEFAULT_HEALTH_CHECK_INTERVAL;
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

    /**
     * @param array<string, mixed> $policy
     */
    private static function delaySeconds(#[\SensitiveParameter] array $policy, string $key, float $default): float
    {
        if (!array_key_exists($key, $policy)) {
            return $default;
        }
        $value = $policy[$key];
        if ((!is_int($value) && !is_float($value)) || $value < 0 || !is_finite((float) $value)) {
            $name = sprintf('task_publish_retry_policy[%s]', $key);
            throw InvalidConfiguration::invalid($name, $value, 'expected a number of seconds >= 0.');
        }
        return (float) $value;
    }
}
