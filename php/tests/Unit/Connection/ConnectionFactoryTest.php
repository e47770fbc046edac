<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection;

use CeleryBridge\Connection\ConnectionFactory;
use CeleryBridge\Connection\PhpRedisConnection;
use CeleryBridge\Connection\PredisConnection;
use CeleryBridge\Exception\InvalidBrokerUrl;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Tests\Unit\Connection\Fixtures\Predis;
use CeleryBridge\Tests\Unit\Connection\Fixtures\ScriptedConnection;
use PHPUnit\Framework\TestCase;

final class ConnectionFactoryTest extends TestCase
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
            $broker = ConnectionFactory::create('redis://:pw@127.0.0.1:1/4', ['redis_client' => $client]);
            $backend = ConnectionFactory::create('sentinel://127.0.0.1:1', [
                'redis_client' => $client,
                'result_backend_transport_options' => ['master_name' => 'mymaster'],
            ], ConnectionFactory::BACKEND);

            self::assertInstanceOf($client === 'phpredis' ? PhpRedisConnection::class : PredisConnection::class, $broker);
            self::assertSame(4, $broker->database());
            self::assertSame('127.0.0.1:1', $broker->describe());
            self::assertSame('127.0.0.1:1', $broker->endpoint()->describe());
            self::assertSame('master "mymaster" via sentinel 127.0.0.1:1', $backend->describe());
        }
    }

    public function testAutoPrefersPhpredis(): void
    {
        self::assertSame('phpredis', ConnectionFactory::client('auto'));
        self::assertSame('predis', ConnectionFactory::client('predis'));
    }

    public function testARedisConnectionIsUsedAsItIs(): void
    {
        $connection = new ScriptedConnection();

        self::assertSame($connection, ConnectionFactory::create($connection));
    }

    public function testUrlErrorsComeFirst(): void
    {
        $this->expectException(InvalidBrokerUrl::class);
        $this->expectExceptionMessage('the database "x"');
        ConnectionFactory::create('redis://h/x');
    }

    public function testRedisClusterIsRefused(): void
    {
        $cluster = (new \ReflectionClass(\RedisCluster::class))->newInstanceWithoutConstructor();

        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('Redis Cluster cannot be a Celery broker');
        ConnectionFactory::create($cluster);
    }

    public function testPredisClusterIsRefused(): void
    {
        $cluster = new \Predis\Client(['tcp://127.0.0.1:1', 'tcp://127.0.0.1:2'], ['cluster' => 'redis']);

        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('Redis Cluster cannot be a Celery broker');
        ConnectionFactory::create($cluster);
    }

    public function testPrefixedPredisIsRefused(): void
    {
        $client = new \Predis\Client('tcp://127.0.0.1:1', ['prefix' => 'app:']);

        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('prefix "app:"');
        ConnectionFactory::create($client);
    }

    public function testAPredisClientIsUsedWithoutConnecting(): void
    {
        $client = new \Predis\Client(['host' => '127.0.0.1', 'port' => 1, 'database' => 3, 'password' => 'pw']);
        $connection = ConnectionFactory::create($client, [], ConnectionFactory::BACKEND);

        self::assertInstanceOf(PredisConnection::class, $connection);
        self::assertSame(3, $connection->database());
        self::assertSame('pw', $connection->endpoint()->password());
        self::assertFalse($client->isConnected());
    }

    public function testAnUnconnectedRedisIsRefused(): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('not connected');
        ConnectionFactory::create(new \Redis());
    }

    public function testOtherObjectsAreRefused(): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('expected a Redis URL');
        ConnectionFactory::create(new \stdClass());
    }
}
