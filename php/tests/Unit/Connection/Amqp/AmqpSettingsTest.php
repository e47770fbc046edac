<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Connection\Amqp;

use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Exception\InvalidConfiguration;
use PHPUnit\Framework\TestCase;

final class AmqpSettingsTest extends TestCase
{
    public function testTheDefaultsConfirmAndDeclare(): void
    {
        $settings = AmqpSettings::fromConfig([]);

        self::assertSame([AmqpSettings::AUTO, 0, 4.0, null, false, true, false], [
            $settings->client, $settings->heartbeat, $settings->connectTimeout, $settings->ssl(),
            $settings->shuffle, $settings->confirm, $settings->passive,
        ]);
    }

    public function testBrokerUseSslTakesPythonsSslKeys(): void
    {
        $settings = AmqpSettings::fromConfig(['broker_use_ssl' => [
            'ca_certs' => '/ca.pem', 'certfile' => '/c.pem', 'keyfile' => '/k.pem', 'cert_reqs' => 'CERT_NONE',
        ]]);

        self::assertSame(
            ['verify_peer' => false, 'verify_peer_name' => false, 'cafile' => '/ca.pem', 'local_cert' => '/c.pem', 'local_pk' => '/k.pem'],
            $settings->ssl(),
        );
        self::assertSame(['verify_peer' => true, 'verify_peer_name' => true], AmqpSettings::fromConfig(['broker_use_ssl' => true])->ssl());
    }

    public function testBadValuesAreRefusedByName(): void
    {
        $cases = [
            [['amqp_client' => 'librabbitmq'], 'amqp_client'],
            [['amqp_declare' => 'never'], 'amqp_declare'],
            [['broker_failover_strategy' => 'random'], 'broker_failover_strategy'],
            [['broker_transport_options' => ['confirm_publish' => 'yes']], 'confirm_publish'],
            [['broker_transport_options' => ['priority_steps' => [0, 3]]], 'priority_steps'],
            [['broker_use_ssl' => ['ssl_cert_reqs' => 'required']], 'ssl_cert_reqs'],
            [['broker_heartbeat' => -1], 'broker_heartbeat'],
            [['broker_heartbeat' => 70000], 'broker_heartbeat'],
            [['broker_heartbeat' => INF], 'broker_heartbeat'],
            [['broker_heartbeat' => NAN], 'broker_heartbeat'],
        ];
        foreach ($cases as [$config, $name]) {
            try {
                AmqpSettings::fromConfig($config);
                self::fail('accepted ' . json_encode($config));
            } catch (InvalidConfiguration $e) {
                self::assertStringContainsString($name, $e->getMessage());
            }
        }
    }

    public function testTheKeyPassphraseIsKeptOutOfDumpsAndGivenToTheConnection(): void
    {
        $settings = AmqpSettings::fromConfig(['broker_use_ssl' => ['keyfile' => '/k.pem', 'password' => 'KEYPASSPHRASE']]);
        self::assertSame('KEYPASSPHRASE', $settings->ssl()['passphrase'] ?? null);
        foreach ([print_r($settings, true), var_export($settings, true), json_encode((array) $settings)] as $dump) {
            self::assertStringNotContainsString('KEYPASSPHRASE', (string) $dump);
        }
    }

    public function testSslOptionsThatAreNotStringsAreRefused(): void
    {
        foreach ([['ca_certs' => new \stdClass()], ['ca_certs' => ['a']], ['keyfile' => ''], ['password' => 12]] as $ssl) {
            try {
                AmqpSettings::fromConfig(['broker_use_ssl' => $ssl]);
                self::fail('accepted ' . (string) array_key_first($ssl));
            } catch (InvalidConfiguration $e) {
                self::assertStringContainsString('broker_use_ssl.' . (string) array_key_first($ssl), $e->getMessage());
            }
        }
    }

    public function testAHeartbeatOfPartOfASecondIsOneSecondNotNone(): void
    {
        self::assertSame(1, AmqpSettings::fromConfig(['broker_heartbeat' => 0.5])->heartbeat);
        self::assertSame(120, AmqpSettings::fromConfig(['broker_heartbeat' => 120.0])->heartbeat);
        self::assertSame(0, AmqpSettings::fromConfig(['broker_heartbeat' => 0])->heartbeat);
    }
}
