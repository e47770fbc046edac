<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Broker\Amqp\AmqpTopology;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\Amqp\AmqpConnection;
use CeleryBridge\Connection\Amqp\AmqpConnector;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Connection\Amqp\AmqpUrl;
use CeleryBridge\Exception\CeleryBridgeException;
use Psr\Log\LoggerInterface;

/**
 * How CeleryClient gets a RabbitMQ broker: tells an AMQP broker (URL, failover list, injected
 * client) from a Redis one, and takes the settings that mean something else on AMQP
 * (broker_use_ssl, broker_transport_options) away from the Redis settings.
 *
 * @internal
 */
final class AmqpBroker
{
    /** Ours, read only for AMQP; a Redis client ignores them. */
    private const OWN = ['amqp_client', 'amqp_declare'];

    /** Celery's settings that AMQP reads with another meaning than the Redis transport. */
    private const REDIS_MEANING = ['broker_use_ssl', 'broker_transport_options'];

    public static function isAmqp(#[\SensitiveParameter] string|array|object $broker): bool
    {
        if (is_object($broker)) {
            return $broker instanceof AmqpConnection || is_a($broker, 'PhpAmqpLib\Connection\AbstractConnection')
                || is_a($broker, 'AMQPConnection');
        }
        return AmqpUrl::isAmqp($broker);
    }

    /**
     * @param array<string, mixed> $config
     * @return array<string, mixed> what AmqpSettings and AmqpTopology read
     */
    public static function config(#[\SensitiveParameter] array $config): array
    {
        return array_intersect_key($config, array_flip([
            ...AmqpSettings::KEYS,
            ...AmqpTopology::KEYS,
            'broker_connection_timeout',
            'task_publish_timeout',
        ]));
    }

    /**
     * The config for ClientConfig: without our AMQP settings, and for an AMQP broker without
     * the settings the Redis connection would read differently.
     *
     * @param array<string, mixed> $config
     * @return array<string, mixed>
     */
    public static function withoutAmqpSettings(#[\SensitiveParameter] array $config, bool $amqp): array
    {
        return array_diff_key($config, array_flip($amqp ? [...self::OWN, ...self::REDIS_MEANING] : self::OWN));
    }

    /**
     * @param string|list<string>|object $broker
     * @param array<string, mixed> $amqpConfig self::config()
     * @throws CeleryBridgeException
     */
    public static function transport(
        #[\SensitiveParameter] string|array|object $broker,
        #[\SensitiveParameter] array $amqpConfig,
        ClientConfig $config,
        ?RedisResultBackend $resultBackend,
        ?LoggerInterface $logger,
    ): AmqpTransport {
        $settings = AmqpSettings::fromConfig($amqpConfig);
        return new AmqpTransport(
            AmqpConnector::create($broker, $settings),
            $settings,
            AmqpTopology::fromConfig($amqpConfig, $config->defaultQueue),
            $config->brokerConnection->retryPolicy,
            $resultBackend,
            $logger,
        );
    }
}
