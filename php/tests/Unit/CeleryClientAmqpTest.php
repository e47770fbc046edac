<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit;

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\InvalidConfiguration;
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

    public function testAListOfRedisUrlsIsAFailoverList(): void
    {
        $client = new CeleryClient(null, null, ['broker_url' => ['redis://127.0.0.1:1/0', 'redis://127.0.0.1:2/0']]);

        self::assertInstanceOf(CeleryClient::class, $client);
    }

    public function testWhatIsNotThereYetOverAmqpSaysSo(): void
    {
        $client = new CeleryClient('amqp://h//');

        $this->expectException(InvalidConfiguration::class);
        $this->expectExceptionMessage('queue length and purge over RabbitMQ is not available in this version');
        $client->queueLength();
    }

    public function testAmqpSettingsAreKnownNamesWithARedisBroker(): void
    {
        $client = new CeleryClient('redis://127.0.0.1:1/0', null, ['amqp_client' => 'php-amqplib', 'amqp_declare' => 'passive']);

        self::assertInstanceOf(CeleryClient::class, $client);
    }
}
