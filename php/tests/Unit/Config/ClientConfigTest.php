<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Config;

use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Config\TransportOptions;
use CeleryBridge\Connection\ConnectionOptions;
use CeleryBridge\Connection\ConnectionOptionsReader;
use CeleryBridge\Connection\Role;
use CeleryBridge\Exception\InvalidConfiguration;
use PHPUnit\Framework\TestCase;

final class ClientConfigTest extends TestCase
{
    public function testDefaultsAreCeleryDefaults(): void
    {
        $config = ClientConfig::fromArray([]);

        self::assertSame('celery', $config->defaultQueue);
        self::assertSame(2, $config->protocol);
        self::assertSame('json', $config->serializer);
        self::assertNull($config->compression);
        self::assertSame(86400, $config->resultExpires);
        self::assertTrue($config->brokerConnectionOptions->retryPolicy->enabled);
        self::assertSame("celery\x06\x163", $config->queueKeys()->listFor('celery', 3));
    }

    /**
     * No settings (or only the connection's client and persistence) take a shorter way than
     * settings that change nothing: to the same config.
     */
    public function testNoSettingsGiveWhatTheGeneralWayMakesOfThem(): void
    {
        $general = ['worker_concurrency' => 4, 'task_default_queue' => 'celery', 'result_expires' => 86400];

        self::assertEquals(ClientConfig::fromArray($general), ClientConfig::fromArray([]));
        $persistent = ['redis_persistent' => true, 'redis_client' => 'phpredis'];
        self::assertEquals(ClientConfig::fromArray($general + $persistent), ClientConfig::fromArray($persistent));
    }

    public function testTheBackendsConnectionOptionsAreMadeWhenFirstAskedFor(): void
    {
        $plain = ClientConfig::fromArray(['redis_persistent' => true]);
        $options = $plain->backendConnectionOptions();

        self::assertSame(Role::Backend, $options->role);
        self::assertTrue($options->persistent);
        self::assertFalse($options->retryPolicy->enabled);
        self::assertSame($options, $plain->backendConnectionOptions());
        self::assertEquals(
            ConnectionOptions::fromConfig(['redis_persistent' => true], Role::Backend),
            $options,
        );
        self::assertSame(ConnectionOptions::defaults(Role::Backend), ClientConfig::fromArray([])->backendConnectionOptions());
    }

    public function testAWrongBackendSettingFailsAtConstructionWithoutABackend(): void
    {
        // Made lazily only when nothing in the settings can be wrong: a typo still fails here.
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('redis_backend_use_ssl');

        ClientConfig::fromArray(['redis_backend_use_ssl' => 'yes please']);
    }

    /**
     * Transport options the connection does not read (visibility_timeout, the queue keys...) give
     * the same config as none (the connection's defaults, kombu's lists), without the readers.
     */
    public function testTransportOptionsTheConnectionDoesNotReadChangeNothingThere(): void
    {
        $workerOnly = ['broker_transport_options' => ['visibility_timeout' => 3600, 'polling_interval' => 1]];
        self::assertEquals(ClientConfig::fromArray(['result_expires' => 86400]), ClientConfig::fromArray($workerOnly));
        $backendOnly = ['result_backend_transport_options' => ['result_chord_ordered' => true]];
        self::assertEquals(ClientConfig::fromArray(['result_expires' => 86400]), ClientConfig::fromArray($backendOnly));

        $connection = ['broker_transport_options' => ['visibility_timeout' => 3600, 'socket_timeout' => 2.5]];
        self::assertSame(2.5, ClientConfig::fromArray($connection)->brokerConnectionOptions->readTimeout);
        $keys = ['broker_transport_options' => ['sep' => ':', 'visibility_timeout' => 3600]];
        self::assertSame('q:3', ClientConfig::fromArray($keys)->queueKeys()->listFor('q', 3));
    }

    /**
     * ClientConfig::CONNECTION_TRANSPORT_KEYS names every transport option ConnectionOptionsReader
     * reads: any other known one, even holding nonsense, leaves the options at their defaults.
     */
    public function testTheReaderReadsNoOtherTransportOption(): void
    {
        $read = array_keys((new \ReflectionClassConstant(ClientConfig::class, 'CONNECTION_TRANSPORT_KEYS'))->getValue());
        $roles = [
            [Role::Broker, 'broker_transport_options', TransportOptions::BROKER_TRANSPORT_OPTIONS],
            [Role::Backend, 'result_backend_transport_options', TransportOptions::BACKEND_TRANSPORT_OPTIONS],
        ];
        foreach ($roles as [$role, $setting, $known]) {
            foreach (array_diff($known, $read) as $key) {
                self::assertEquals(
                    ConnectionOptions::defaults($role),
                    ConnectionOptionsReader::read([$setting => [$key => new \stdClass()]], $role),
                    "$setting.$key",
                );
            }
        }
    }

    /** The broker's connection settings leave the result backend's connection at its defaults. */
    public function testTheBackendReadsNoBrokerOnlySetting(): void
    {
        $keys = array_keys((new \ReflectionClassConstant(ClientConfig::class, 'BROKER_ONLY_KEYS'))->getValue());
        foreach ($keys as $key) {
            self::assertEquals(
                ConnectionOptions::defaults(Role::Backend),
                ConnectionOptionsReader::read([$key => new \stdClass()], Role::Backend),
                $key,
            );
        }
        $config = ClientConfig::fromArray(['broker_connection_timeout' => 2, 'redis_socket_timeout' => 3]);
        self::assertSame(2.0, $config->brokerConnectionOptions->connectTimeout);
        self::assertSame(3.0, $config->backendConnectionOptions()->readTimeout);
        self::assertNull($config->backendConnectionOptions()->connectTimeout);
        self::assertEquals(
            ConnectionOptions::defaults(Role::Backend),
            ClientConfig::fromArray(['broker_connection_timeout' => 2])->backendConnectionOptions(),
        );
    }

    public function testNamesHoldTheConnectionNames(): void
    {
        // NAMES is written out (a constant built from another is evaluated in every request).
        self::assertSame([], array_diff(ClientConfig::CONNECTION_NAMES, ClientConfig::NAMES));
        self::assertSame(array_values(array_unique(ClientConfig::NAMES)), ClientConfig::NAMES);
        $keys = (new \ReflectionClassConstant(ClientConfig::class, 'CONNECTION_KEYS'))->getValue();
        self::assertSame(array_fill_keys(ClientConfig::CONNECTION_NAMES, true), $keys);
    }

    public function testAPythonConfigCopiesOver(): void
    {
        $config = ClientConfig::fromArray([
            'task_default_queue' => 'default',
            'task_routes' => ['tasks.*' => ['queue' => 'x']],
            'task_default_priority' => 5,
            'task_compression' => 'zlib',
            'result_expires' => null,
        ]);

        self::assertSame('default', $config->defaultQueue);
        self::assertSame(['queue' => 'x'], $config->routes->route('tasks.add'));
        self::assertSame(5, $config->defaultPriority);
        self::assertSame('zlib', $config->compression);
        self::assertNull($config->resultExpires);
    }

    public function testUnknownSettingsAreNamed(): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessageMatches('/Unknown setting "task_default_queu"/');
        ClientConfig::fromArray(['task_default_queu' => 'x']);
    }

    public function testUnknownTransportOptionsAreNamed(): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessageMatches('/Unknown setting "broker_transport_options\.priority_step"/');
        ClientConfig::fromArray(['broker_transport_options' => ['priority_step' => [0, 5]]]);
    }

    public function testWorkerOnlyTransportOptionsAreAccepted(): void
    {
        $config = ClientConfig::fromArray(['broker_transport_options' => ['visibility_timeout' => 43200, 'sep' => ':']]);

        self::assertSame('q:3', $config->queueKeys()->listFor('q', 4));
    }

    public function testTheBackendKeyPrefixIsReadAsCeleryAppliesIt(): void
    {
        $prefix = static fn (mixed $given): string => ClientConfig::fromArray(
            ['result_backend_transport_options' => ['global_keyprefix' => $given]],
        )->backendKeyPrefix;

        self::assertSame('', ClientConfig::fromArray([])->backendKeyPrefix);
        self::assertSame('pfx_', $prefix('pfx'));
        self::assertSame('pfx:', $prefix('pfx:'));
        self::assertSame('pfx.', $prefix('pfx.'));

        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('result_backend_transport_options.global_keyprefix');
        $prefix(5);
    }

    public function testFanoutPatternsIsABool(): void
    {
        self::assertTrue(ClientConfig::fromArray([])->fanoutPatterns);
        self::assertFalse(ClientConfig::fromArray(['broker_transport_options' => ['fanout_patterns' => false]])->fanoutPatterns);

        // The string "false" was read as true: events went to the per-routing-key channels.
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessageMatches('/broker_transport_options\.fanout_patterns.*expected true/');
        ClientConfig::fromArray(['broker_transport_options' => ['fanout_patterns' => 'false']]);
    }
}
