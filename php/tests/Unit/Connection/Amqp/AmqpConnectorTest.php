<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Amqp;

use CeleryBridge\Connection\Amqp\AmqpConnector;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Connection\Amqp\ExtAmqpConnection;
use CeleryBridge\Connection\Amqp\PhpAmqpLibConnection;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Tests\Unit\Connection\Fixtures\RecordingAmqpConnection;
use PHPUnit\Framework\TestCase;

/**
 * Which library an AMQP broker URL uses (amqp_client), like redis_client for Redis. No I/O:
 * connections open on first use.
 */
final class AmqpConnectorTest extends TestCase
{
    private const URL = 'amqp://guest:guest@127.0.0.1:5672//';

    public function testAutoPrefersPhpAmqplib(): void
    {
        if (!PhpAmqpLibConnection::available()) {
            self::markTestSkipped('php-amqplib is not installed');
        }
        // php-amqplib writes Celery's exact header types.
        self::assertSame(AmqpSettings::PHP_AMQPLIB, AmqpConnector::client(AmqpSettings::AUTO));
        self::assertInstanceOf(PhpAmqpLibConnection::class, AmqpConnector::create('amqp://h//', new AmqpSettings()));
    }

    public function testEachLibraryIsChosenByAmqpClient(): void
    {
        self::requireBoth();
        self::assertInstanceOf(ExtAmqpConnection::class, AmqpConnector::create(self::URL, new AmqpSettings(client: 'ext-amqp')));
        self::assertInstanceOf(PhpAmqpLibConnection::class, AmqpConnector::create(self::URL, new AmqpSettings(client: 'php-amqplib')));
    }

    public function testAnInjectedExtAmqpConnectionIsUsedAsItIs(): void
    {
        self::requireBoth();
        $connection = AmqpConnector::create(new \AMQPConnection(['host' => '127.0.0.1']), new AmqpSettings());

        self::assertInstanceOf(ExtAmqpConnection::class, $connection);
        self::assertSame('an injected connection', $connection->server());
    }

    public function testAnAmqpConnectionIsTakenAsItIs(): void
    {
        $connection = new RecordingAmqpConnection();

        self::assertSame($connection, AmqpConnector::create($connection, new AmqpSettings()));
    }

    public function testAnUnknownClientIsRefused(): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage("expected 'auto', 'php-amqplib' or 'ext-amqp'");

        AmqpSettings::fromConfig(['amqp_client' => 'librabbitmq']);
    }

    public function testAnObjectThatIsNoBrokerIsRefused(): void
    {
        $this->expectException(InvalidConfiguration::class);
        AmqpConnector::create(new \stdClass(), new AmqpSettings());
    }

    private static function requireBoth(): void
    {
        if (!extension_loaded('amqp') || !PhpAmqpLibConnection::available()) {
            self::markTestSkipped('needs both php-amqplib and ext-amqp (make install installs them)');
        }
    }
}
