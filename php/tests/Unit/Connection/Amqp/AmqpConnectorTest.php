<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Amqp;

use CeleryBridge\Connection\Amqp\AmqpConnector;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Connection\Amqp\ExtAmqpConnection;
use CeleryBridge\Connection\Amqp\PhpAmqpLibConnection;
use CeleryBridge\Exception\InvalidConfiguration;
use PHPUnit\Framework\TestCase;

/**
 * amqp_client picks the library as redis_client does (no I/O: connections open on first use).
 */
final class AmqpConnectorTest extends TestCase
{
    private const URL = 'amqp://guest:guest@127.0.0.1:5672//';

    protected function setUp(): void
    {
        if (!extension_loaded('amqp') || !PhpAmqpLibConnection::available()) {
            self::markTestSkipped('needs both php-amqplib and ext-amqp (make install installs them)');
        }
    }

    public function testEachLibraryIsChosenByAmqpClientAndAutoPrefersPhpAmqpLib(): void
    {
        self::assertInstanceOf(ExtAmqpConnection::class, AmqpConnector::create(self::URL, new AmqpSettings(client: 'ext-amqp')));
        self::assertInstanceOf(PhpAmqpLibConnection::class, AmqpConnector::create(self::URL, new AmqpSettings(client: 'php-amqplib')));
        // php-amqplib writes Celery's exact header types.
        self::assertInstanceOf(PhpAmqpLibConnection::class, AmqpConnector::create(self::URL, new AmqpSettings()));
    }

    public function testAnInjectedExtAmqpConnectionIsUsedAsItIs(): void
    {
        $connection = AmqpConnector::create(new \AMQPConnection(['host' => '127.0.0.1']), new AmqpSettings());

        self::assertInstanceOf(ExtAmqpConnection::class, $connection);
        self::assertSame('an injected connection', $connection->server());
    }

    public function testAnUnknownClientIsRefused(): void
    {
        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage("expected 'auto', 'php-amqplib' or 'ext-amqp'");

        AmqpSettings::fromConfig(['amqp_client' => 'librabbitmq']);
    }
}
