<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection;

use CeleryBridge\Connection\ConnectionOptions;
use CeleryBridge\Connection\PhpRedisConnection;
use CeleryBridge\Connection\PredisConnection;
use CeleryBridge\Connection\Role;
use CeleryBridge\Exception\InvalidBrokerUrl;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Tests\Unit\Connection\Fixtures\Predis;
use CeleryBridge\Tests\Unit\Connection\Fixtures\ScriptedConnection;
use PHPUnit\Framework\TestCase;

final class ConnectionOptionsConnectTest extends TestCase
{
    protected function setUp(): void
    {
        Predis::load();
    }

    /**
     * Nothing listens on port 1: any I/O would fail, so success proves there was none.
     */
    public function testCreatingDoesNoIo(): void
    {
        foreach (['phpredis', 'predis'] as $client) {
            $broker = ConnectionOptions::fromConfig(['redis_client' => $client])->connect('redis://:pw@127.0.0.1:1/4');
            $backend = ConnectionOptions::fromConfig([
                'redis_client' => $client,
                'result_backend_transport_options' => ['master_name' => 'mymaster'],
            ], Role::Backend)->connect('sentinel://127.0.0.1:1');

            self::assertInstanceOf($client === 'phpredis' ? PhpRedisConnection::class : PredisConnection::class, $broker);
            self::assertSame(4, $broker->database());
            self::assertSame('127.0.0.1:1', $broker->describe());
            self::assertSame('127.0.0.1:1', $broker->endpoint()->describe());
            self::assertSame('master "mymaster" via sentinel 127.0.0.1:1', $backend->describe());
        }
    }

    public function testAutoPrefersPhpredis(): void
    {
        self::assertSame('phpredis', ConnectionOptions::library('auto'));
        self::assertSame('predis', ConnectionOptions::library('predis'));
    }

    public function testARedisConnectionIsUsedAsItIs(): void
    {
        $connection = new ScriptedConnection();

        self::assertSame($connection, ConnectionOptions::defaults()->connect($connection));
    }

    public function testUrlErrorsComeFirst(): void
    {
        $this->expectException(InvalidBrokerUrl::class);
        $this->expectExceptionMessage('the database "x"');
        ConnectionOptions::defaults()->connect('redis://h/x');
    }

    public function testRedisClusterIsRefused(): void
    {
        $cluster = (new \ReflectionClass(\RedisCluster::class))->newInstanceWithoutConstructor();

        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('Redis Cluster cannot be a Celery broker');
        ConnectionOptions::defaults()->connect($cluster);
    }

    public function testPredisClusterIsRefused(): void
    {
        $cluster = new \Predis\Client(['tcp://127.0.0.1:1', 'tcp://127.0.0.1:2'], ['cluster' => 'redis']);

        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('Redis Cluster cannot be a Celery broker');
        ConnectionOptions::defaults()->connect($cluster);
    }

    public function testPrefixedPredisIsRefused(): void
    {
        $client = new \Predis\Client('tcp://127.0.0.1:1', ['prefix' => 'app:']);

        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('prefix "app:"');
        ConnectionOptions::defaults()->connect($client);
    }

    public function testAPredisClientIsUsedWithoutConnecting(): void
    {
        $client = new \Predis\Client(['host' => '127.0.0.1', 'port' => 1, 'database' => 3, 'password' => 'pw']);
        $connection = ConnectionOptions::defaults(Role::Backend)->connect($client);

        self::assertInstanceOf(PredisConnection::class, $connection);
        self::assertSame(3, $connection->database());
        self::assertSame('pw', $connection->endpoint()->password());
        self::assertFalse($client->isConnected());
    }

    public function testAnUnconnectedRedisIsRefused(): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('not connected');
        ConnectionOptions::defaults()->connect(new \Redis());
    }

    public function testOtherObjectsAreRefused(): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('expected a Redis URL');
        ConnectionOptions::defaults()->connect(new \stdClass());
    }
}
