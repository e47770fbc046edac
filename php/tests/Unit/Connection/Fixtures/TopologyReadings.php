<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Fixtures;

use CeleryBridge\Connection\ConnectionOptions;
use CeleryBridge\Connection\Dsn;
use CeleryBridge\Connection\Endpoint;
use CeleryBridge\Connection\Role;
use CeleryBridge\Connection\Topology;
use CeleryBridge\Exception\CeleryBridgeException;

/**
 * A URL read both ways, Topology::fromUrl() (with its fast path) and Dsn with fromDsn(), as
 * comparable arrays: every field each endpoint gives a connection, or the refusal's class and
 * message. TopologyTest and TopologyGeneratedUrlTest hold the two equal.
 */
final class TopologyReadings
{
    /** Connection settings that change what a URL gives: none, timeouts, TLS. */
    private const SETTINGS = [
        'none' => [],
        'timeouts' => ['broker_connection_timeout' => 1.5, 'redis_socket_timeout' => 3.0, 'redis_socket_connect_timeout' => 2.0],
        'tls' => ['broker_use_ssl' => ['ssl_cert_reqs' => 'none'], 'redis_backend_use_ssl' => ['ssl_cert_reqs' => 'none']],
    ];

    /**
     * The options of SETTINGS for both roles.
     *
     * @return array<string, ConnectionOptions> by "role, name settings"
     */
    public static function options(): array
    {
        $options = [];
        foreach ([Role::Broker, Role::Backend] as $role) {
            foreach (self::SETTINGS as $name => $config) {
                $options["$role->value, $name settings"] = ConnectionOptions::fromConfig($config, $role);
            }
        }
        return $options;
    }

    /** @return array<mixed> */
    public static function viaDsn(string $url, ConnectionOptions $options): array
    {
        try {
            return self::view(Topology::fromDsn(Dsn::fromString($url, $options->role), $options));
        } catch (CeleryBridgeException $e) {
            return [$e::class, $e->getMessage()];
        }
    }

    /** @return array<mixed> */
    public static function viaFromUrl(string $url, ConnectionOptions $options): array
    {
        try {
            return self::view(Topology::fromUrl($url, $options));
        } catch (CeleryBridgeException $e) {
            return [$e::class, $e->getMessage()];
        }
    }

    /** @return array<mixed> */
    private static function view(Topology $topology): array
    {
        return [
            'topology',
            $topology->database,
            $topology->isSentinel(),
            $topology->describe(),
            array_map(static fn (Endpoint $e): array => [
                'transport' => $e->transport,
                'host' => $e->host,
                'port' => $e->port,
                'path' => $e->path,
                'username' => $e->username,
                'password' => $e->password(),
                'database' => $e->database,
                'connectTimeout' => $e->connectTimeout,
                'readTimeout' => $e->readTimeout,
                'clientName' => $e->clientName,
                'persistentId' => $e->persistentId(),
                'streamUri' => $e->streamUri(),
                'streamContext' => $e->streamContext(),
                'predis' => [$e->predisParameters(false), $e->predisParameters(true)],
            ], $topology->endpoints),
        ];
    }
}
