<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit;

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\ConnectionRefused;
use PHPUnit\Framework\TestCase;

/**
 * A client on a RabbitMQ broker URL is built without I/O from a Python celeryconfig: the
 * settings that mean something else on AMQP are not read as Redis ones.
 */
final class CeleryClientAmqpTest extends TestCase
{
    public function testACeleryconfigForRabbitMqIsAccepted(): void
    {
        $client = new CeleryClient(null, null, [
            'broker_url' => ['amqp://u:s3cr3t@h1:5672//', 'amqp://u:s3cr3t@h2:5672//'],
            'broker_use_ssl' => ['ca_certs' => '/ca.pem', 'cert_reqs' => 'CERT_REQUIRED'],
            'broker_transport_options' => ['confirm_publish' => true],
            'broker_failover_strategy' => 'round-robin',
            'task_queue_max_priority' => 10,
            'task_default_queue_type' => 'classic',
            'amqp_client' => 'auto',
        ]);

        self::assertStringNotContainsString('s3cr3t', print_r($client, true));
        self::assertStringNotContainsString('s3cr3t', var_export($client, true));
    }

    /**
     * What opens control and event channels later is an object holding the URL wrapped, not a
     * closure: a closure's captured values show in print_r() and var_dump().
     */
    public function testTheLazyAmqpPartsAreObjectsThatHideThePassword(): void
    {
        foreach ([null, 'rpc://'] as $backend) {
            $dump = print_r(new CeleryClient('amqp://u:s3cr3t@127.0.0.1:1//', $backend), true);

            self::assertStringNotContainsString('Closure', $dump);
            self::assertStringContainsString('AmqpChannelOpener', $dump);
            self::assertStringNotContainsString('s3cr3t', $dump);
        }
    }

    public function testAListOfRedisUrlsIsAFailoverList(): void
    {
        $client = new CeleryClient(null, null, ['broker_url' => ['redis://127.0.0.1:1/0', 'redis://127.0.0.1:2/0']]);

        self::assertInstanceOf(CeleryClient::class, $client);
    }

    public function testQueueToolsOverAmqpConnectOnFirstUseAndNameTheServerOnly(): void
    {
        // Built without I/O; queueLength() opens its own connection (port 1: refused).
        $client = new CeleryClient('amqp://u:s3cr3t@127.0.0.1:1//');

        try {
            $client->queueLength();
            self::fail('no connection expected');
        } catch (ConnectionRefused $e) {
            self::assertStringContainsString('RabbitMQ at 127.0.0.1:1', $e->getMessage());
            self::assertStringNotContainsString('s3cr3t', (string) $e);
        }
    }

    public function testAmqpSettingsAreKnownNamesWithARedisBroker(): void
    {
        $client = new CeleryClient('redis://127.0.0.1:1/0', null, ['amqp_client' => 'php-amqplib', 'amqp_declare' => 'passive']);

        self::assertInstanceOf(CeleryClient::class, $client);
    }
}
