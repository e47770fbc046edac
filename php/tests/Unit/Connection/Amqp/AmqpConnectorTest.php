<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Amqp;

use CeleryBridge\Connection\Amqp\AmqpConnector;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Connection\Amqp\PhpAmqpLibConnection;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Tests\Unit\Connection\Fixtures\RecordingAmqpConnection;
use PHPUnit\Framework\TestCase;

/**
 * Which library an AMQP broker URL uses (amqp_client), like redis_client for Redis. No I/O.
 */
final class AmqpConnectorTest extends TestCase
{
    public function testAutoPrefersPhpAmqplib(): void
    {
        if (!PhpAmqpLibConnection::available()) {
            self::markTestSkipped('php-amqplib is not installed');
        }
        self::assertSame(AmqpSettings::PHP_AMQPLIB, AmqpConnector::client(AmqpSettings::AUTO));
        self::assertInstanceOf(PhpAmqpLibConnection::class, AmqpConnector::create('amqp://h//', new AmqpSettings()));
    }

    public function testAnAmqpConnectionIsTakenAsItIs(): void
    {
        $connection = new RecordingAmqpConnection();

        self::assertSame($connection, AmqpConnector::create($connection, new AmqpSettings()));
    }

    public function testExtAmqpSaysWhatToDo(): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessageMatches(extension_loaded('amqp') ? '/install php-amqplib/' : '/apt install php-amqp/');
        AmqpConnector::create('amqp://h//', new AmqpSettings(client: AmqpSettings::EXT_AMQP));
    }

    public function testAnObjectThatIsNoBrokerIsRefused(): void
    {
        $this->expectException(InvalidConfiguration::class);
        AmqpConnector::create(new \stdClass(), new AmqpSettings());
    }
}
