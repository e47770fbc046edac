<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Backend\RedisResultBackend;
use CeleryBridge\Backend\RpcResultBackend;
use CeleryBridge\Broker\Amqp\AmqpTopology;
use CeleryBridge\Broker\AmqpChannelOpener;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Connection\Amqp\AmqpConnection;
use CeleryBridge\Connection\Amqp\AmqpConnector;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Connection\Amqp\AmqpUrl;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Message\AmqpTaskTemplate;
use Psr\Log\LoggerInterface;

/**
 * How CeleryClient is wired to a RabbitMQ broker: tells an AMQP broker (URL, failover list,
 * injected client) from a Redis one, takes the settings that mean something else on AMQP
 * (broker_use_ssl, broker_transport_options) away from the Redis settings, and makes the
 * transport, the rpc:// results and the channels of control and events. Does no I/O.
 *
 * @internal
 */
final class AmqpBroker
{
    /** Ours, read only for AMQP; a Redis client ignores them. */
    private const OWN = ['amqp_client', 'amqp_declare'];

    /** Celery's settings that AMQP reads with another meaning than the Redis transport. */
    private const REDIS_MEANING = ['broker_use_ssl', 'broker_transport_options'];

    /** The broker (a URL with its password, or a client) and its AMQP settings, kept wrapped. */
    private readonly \SensitiveParameterValue $secret;

    /**
     * @param string|list<string>|object $broker
     * @param array<string, mixed> $amqpConfig what AmqpSettings and AmqpTopology read
     */
    private function __construct(#[\SensitiveParameter] string|array|object $broker, #[\SensitiveParameter] array $amqpConfig)
    {
        $this->secret = new \SensitiveParameterValue([$broker, $amqpConfig]);
    }

    /**
     * The RabbitMQ broker $broker names, or null when it is a Redis one.
     *
     * @param array<string, mixed> $config the client's config, under Celery's names
     */
    public static function of(#[\SensitiveParameter] string|array|object $broker, #[\SensitiveParameter] array $config): ?self
    {
        $amqp = is_object($broker)
            ? $broker instanceof AmqpConnection || is_a($broker, 'PhpAmqpLib\Connection\AbstractConnection')
                || is_a($broker, 'AMQPConnection')
            : AmqpUrl::isAmqp($broker);
        return $amqp ? new self($broker, array_intersect_key($config, array_flip([
            ...AmqpSettings::KEYS,
            ...AmqpTopology::KEYS,
            'broker_connection_timeout',
            'task_publish_timeout',
        ]))) : null;
    }

    /**
     * The config for ClientConfig: without our AMQP settings and the settings the Redis
     * connection would read differently.
     *
     * @param array<string, mixed> $config
     * @return array<string, mixed>
     */
    public static function withoutAmqpSettings(#[\SensitiveParameter] array $config): array
    {
        return array_diff_key($config, array_flip([...self::OWN, ...self::REDIS_MEANING]));
    }

    /**
     * The rpc:// result backend on this broker, reading the queue named by the client's oid.
     *
     * @throws InvalidConfiguration
     */
    public function rpcResults(string $oid, ClientConfig $config): RpcResultBackend
    {
        [$broker, $amqpConfig] = $this->secret->getValue();
        return RpcResults::backend($broker, $amqpConfig, $oid, $config->resultExpires, $config->resultMaxSize);
    }

    /** Opens the channels of remote control, queue tools and event streams, each on first use. */
    public function channels(): AmqpChannelOpener
    {
        [$broker, $amqpConfig] = $this->secret->getValue();
        return new AmqpChannelOpener($broker, $amqpConfig);
    }

    /**
     * The template path's message template for this client (null: every call takes the general path).
     *
     * @throws CeleryBridgeException
     */
    public function template(string $origin, string $replyTo, ClientConfig $config): ?AmqpTaskTemplate
    {
        $settings = AmqpSettings::fromConfig($this->secret->getValue()[1]);
        return AmqpTaskTemplate::forClient(
            $origin,
            $replyTo,
            $config->protocol,
            $config->serializer,
            $config->compression,
            $settings->deliveryMode,
        );
    }

    /**
     * @throws CeleryBridgeException
     */
    public function transport(
        ClientConfig $config,
        ?RedisResultBackend $resultBackend,
        ?RpcResultBackend $rpc,
        ?LoggerInterface $logger,
    ): Transport {
        [$broker, $amqpConfig] = $this->secret->getValue();
        $settings = AmqpSettings::fromConfig($amqpConfig);
        return RpcResults::transport(new AmqpTransport(
            AmqpConnector::create($broker, $settings),
            $settings,
            AmqpTopology::fromConfig($amqpConfig, $config->defaultQueue),
            $config->brokerConnectionOptions->retryPolicy,
            $resultBackend,
            $logger,
        ), $rpc);
    }
}
