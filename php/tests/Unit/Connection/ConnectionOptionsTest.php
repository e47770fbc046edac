<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection;

use CeleryBridge\Connection\ConnectionOptions;
use CeleryBridge\Connection\ConnectionOptionsReader;
use CeleryBridge\Connection\Role;
use CeleryBridge\Connection\TlsOptions;
use CeleryBridge\Exception\InvalidConfiguration;
use PHPUnit\Framework\TestCase;

final class ConnectionOptionsTest extends TestCase
{
    public function testDefaults(): void
    {
        $broker = ConnectionOptions::defaults();
        $backend = ConnectionOptions::defaults(Role::Backend);

        self::assertSame(ConnectionOptions::CLIENT_AUTO, $broker->client);
        self::assertNull($broker->connectTimeout);
        self::assertSame(ConnectionOptions::DEFAULT_READ_TIMEOUT, $broker->defaultReadTimeout());
        self::assertSame(120.0, $backend->defaultReadTimeout());
        self::assertFalse($broker->persistent);
        self::assertNull($broker->tls);
        self::assertTrue($broker->retryPolicy->enabled);
        self::assertFalse($backend->retryPolicy->enabled);
    }

    public function testClientAndPersistenceAloneAreWhatTheReaderGives(): void
    {
        // fromConfig() reads these without ConnectionOptionsReader; both must agree, errors included.
        $configs = [];
        foreach ([null, 'auto', 'phpredis', 'predis', 'Predis', '', 1] as $client) {
            foreach ([null, true, false, 1, 'yes'] as $persistent) {
                $configs[] = array_filter(
                    ['redis_client' => $client, 'redis_persistent' => $persistent],
                    static fn ($value) => $value !== null,
                );
            }
        }
        $configs[] = ['redis_persistent' => true, 'redis_socket_timeout' => 2.0];
        $configs[] = ['redis_persistent' => true, 'task_publish_timeout' => 3];
        $configs[] = ['redis_client' => 'phpredis', 'broker_use_ssl' => true];
        foreach ([Role::Broker, Role::Backend] as $role) {
            foreach ($configs as $config) {
                $read = static function (\Closure $read) use ($config, $role): mixed {
                    try {
                        return $read($config, $role);
                    } catch (InvalidConfiguration $e) {
                        return $e->getMessage();
                    }
                };
                self::assertEquals(
                    $read(ConnectionOptionsReader::read(...)),
                    $read(ConnectionOptions::fromConfig(...)),
                    json_encode($config) . ' ' . $role->value,
                );
            }
        }
    }

    public function testTheBuiltInDefaultsAreWhatTheReaderGivesForEmptySettings(): void
    {
        // defaults() spares a client without settings the reader; both must agree.
        foreach ([Role::Broker, Role::Backend] as $role) {
            self::assertEquals(ConnectionOptionsReader::read([], $role), ConnectionOptions::defaults($role));
            self::assertEquals(
                ConnectionOptionsReader::read(['broker_transport_options' => [], 'result_backend_transport_options' => []], $role),
                ConnectionOptions::fromConfig([], $role),
            );
        }
    }

    public function testBrokerSettingsUnderCeleryNames(): void
    {
        $options = ConnectionOptions::fromConfig([
            'broker_connection_timeout' => 2,
            'broker_transport_options' => [
                'socket_timeout' => 3.5,
                'master_name' => 'mymaster',
                'sentinel_kwargs' => ['password' => 'sentinel-secret', 'socket_timeout' => 0.5],
                'min_other_sentinels' => 1,
                'visibility_timeout' => 3600,
            ],
            'broker_use_ssl' => ['ssl_cert_reqs' => 2, 'ssl_ca_certs' => '/ca.pem'],
            'redis_socket_timeout' => 99,
            'redis_client' => 'predis',
            'redis_persistent' => true,
            'task_publish_retry_policy' => ['max_retries' => 7],
        ]);

        self::assertSame(2.0, $options->connectTimeout);
        self::assertSame(3.5, $options->readTimeout);
        self::assertSame('mymaster', $options->sentinel?->masterName);
        self::assertSame('sentinel-secret', $options->sentinel?->password());
        self::assertSame(0.5, $options->sentinel?->readTimeout);
        self::assertSame(1, $options->sentinel?->minOtherSentinels);
        self::assertSame(TlsOptions::REQUIRED, $options->tls?->certReqs);
        self::assertSame('/ca.pem', $options->tls?->caCerts);
        self::assertSame('predis', $options->client);
        self::assertTrue($options->persistent);
        self::assertSame(7, $options->retryPolicy->maxRetries);
        self::assertStringNotContainsString('sentinel-secret', print_r($options, true));
    }

    public function testTransportSocketConnectTimeoutWinsOverBrokerConnectionTimeout(): void
    {
        $options = ConnectionOptions::fromConfig([
            'broker_connection_timeout' => 2,
            'broker_transport_options' => ['socket_connect_timeout' => 0.25],
        ]);

        self::assertSame(0.25, $options->connectTimeout);
    }

    public function testBackendSettings(): void
    {
        $options = ConnectionOptions::fromConfig([
            'redis_socket_timeout' => 5,
            'redis_socket_connect_timeout' => 1.5,
            'redis_backend_use_ssl' => ['ssl_cert_reqs' => 'CERT_NONE'],
            'result_backend_transport_options' => ['master_name' => 'm2', 'global_keyprefix' => 'x'],
            'broker_use_ssl' => ['ssl_cert_reqs' => 'required'],
            'broker_connection_timeout' => 9,
        ], Role::Backend);

        self::assertSame(5.0, $options->readTimeout);
        self::assertSame(1.5, $options->connectTimeout);
        self::assertSame(TlsOptions::NONE, $options->tls?->certReqs);
        self::assertSame('m2', $options->sentinel?->masterName);
    }

    public function testBrokerUseSslTrueMeansVerifiedTls(): void
    {
        self::assertSame(TlsOptions::REQUIRED, ConnectionOptions::fromConfig(['broker_use_ssl' => true])->tls?->certReqs);
        self::assertNull(ConnectionOptions::fromConfig(['broker_use_ssl' => false])->tls);
    }

    /**
     * @return iterable<string, array{array<string, mixed>, string}>
     */
    public static function invalid(): iterable
    {
        yield 'unknown setting' => [['broker_url' => 'redis://'], 'Unknown setting "broker_url"'];
        yield 'client' => [['redis_client' => 'credis'], 'redis_client'];
        yield 'persistent' => [['redis_persistent' => 'yes'], 'redis_persistent'];
        yield 'timeout' => [['broker_connection_timeout' => 0], 'broker_connection_timeout'];
        yield 'timeout string' => [['broker_connection_timeout' => '4'], 'broker_connection_timeout'];
        yield 'transport socket_timeout' => [
            ['broker_transport_options' => ['socket_timeout' => -1]],
            'broker_transport_options[socket_timeout]',
        ];
        yield 'ssl key' => [['broker_use_ssl' => ['ssl_verify' => true]], 'broker_use_ssl[ssl_verify]'];
        yield 'ssl key typo' => [['broker_use_ssl' => ['ssl_certfiel' => '/c.pem']], 'Did you mean "ssl_certfile"?'];
        yield 'sentinel kwargs typo' => [
            ['broker_transport_options' => ['sentinel_kwargs' => ['pasword' => 'x']]],
            'Did you mean "password"?',
        ];
        yield 'ssl cert reqs' => [['broker_use_ssl' => ['ssl_cert_reqs' => 'strict']], 'broker_use_ssl[ssl_cert_reqs]'];
        yield 'ssl type' => [['broker_use_ssl' => 'yes'], 'broker_use_ssl'];
        yield 'sentinel kwargs key' => [['broker_transport_options' => ['sentinel_kwargs' => ['ssl' => true]]], 'sentinel_kwargs][ssl]'];
        yield 'master name' => [['broker_transport_options' => ['master_name' => '']], 'master_name'];
        yield 'min other sentinels' => [['broker_transport_options' => ['min_other_sentinels' => -1]], 'min_other_sentinels'];
        yield 'retry policy' => [['task_publish_retry_policy' => ['max_retries' => -1]], 'max_retries'];
    }

    /**
     * @dataProvider invalid
     * @param array<string, mixed> $config
     */
    public function testInvalidSettingsAreRejectedByName(array $config, string $named): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage($named);
        ConnectionOptions::fromConfig($config);
    }
}
