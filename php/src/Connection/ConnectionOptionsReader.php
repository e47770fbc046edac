<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Validation\Check;
use CeleryBridge\Wire\PlainText;

/**
 * Reads and checks the connection options a client was given (ConnectionOptions::KEYS) into
 * ConnectionOptions, with the publish retry settings (RetryPolicyReader). A client given none
 * gets ConnectionOptions::defaults() and never loads this class.
 *
 * @internal
 */
final class ConnectionOptionsReader
{
    /**
     * @param array<string, mixed> $config only the keys in ConnectionOptions::KEYS
     *
     * @throws InvalidConfiguration naming the unknown or invalid key
     */
    public static function read(#[\SensitiveParameter] array $config, Role $role): ConnectionOptions
    {
        foreach (array_keys($config) as $key) {
            if (!in_array($key, ConnectionOptions::KEYS, true)) {
                throw InvalidConfiguration::unknown((string) $key, ConnectionOptions::KEYS);
            }
        }
        $backend = $role === Role::Backend;
        $transportKey = $role->transportOptionsSetting();
        $transport = $config[$transportKey] ?? [];
        if (!is_array($transport)) {
            throw InvalidConfiguration::invalid($transportKey, $transport, 'expected an array.');
        }

        $client = $config['redis_client'] ?? ConnectionOptions::CLIENT_AUTO;
        $clients = [ConnectionOptions::CLIENT_AUTO, ConnectionOptions::CLIENT_PHPREDIS, ConnectionOptions::CLIENT_PREDIS];
        if (!in_array($client, $clients, true)) {
            throw InvalidConfiguration::invalid('redis_client', $client, "expected 'auto', 'phpredis' or 'predis'.");
        }
        $check = Check::setting();
        $persistent = $check->bool('redis_persistent', $config['redis_persistent'] ?? false);

        if ($backend) {
            $connectTimeout = $check->secondsIn($config, 'redis_socket_connect_timeout');
            $readTimeout = $check->secondsIn($config, 'redis_socket_timeout');
        } else {
            $connectTimeout = $check->secondsIn($transport, 'socket_connect_timeout', $transportKey)
                ?? $check->secondsIn($config, 'broker_connection_timeout');
            $readTimeout = $check->secondsIn($transport, 'socket_timeout', $transportKey);
        }

        $sslKey = $role->sslSetting();
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
            $backend ? RetryPolicy::never() : RetryPolicyReader::fromConfig($config),
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
     * @param array<mixed> $transport
     */
    private static function interval(#[\SensitiveParameter] array $transport, string $transportKey): float
    {
        $value = $transport['health_check_interval'] ?? ConnectionOptions::DEFAULT_HEALTH_CHECK_INTERVAL;
        $name = $transportKey . '[health_check_interval]';
        return (float) Check::setting()->seconds($name, $value, zero: true, more: ' (0: check before every publish)');
    }
}
