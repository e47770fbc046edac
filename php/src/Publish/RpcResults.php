<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Backend\RpcResultBackend;
use CeleryBridge\Connection\Amqp\AmqpConnector;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Connection\Amqp\AmqpUrl;
use CeleryBridge\Connection\Amqp\PhpAmqpLibConnection;
use CeleryBridge\Connection\Amqp\PhpAmqpLibReplyConsumer;
use CeleryBridge\Exception\InvalidConfiguration;

/**
 * How CeleryClient gets the rpc:// result backend: on the broker's RabbitMQ (its URL or failover
 * list, or a channel of the php-amqplib connection the application injected), reading the
 * queue named by this client's oid. Does no I/O.
 *
 * @internal
 */
final class RpcResults
{
    /**
     * The rpc:// backend with a Redis broker.
     */
    public static function needAmqpBroker(): InvalidConfiguration
    {
        return InvalidConfiguration::invalid('result_backend', 'rpc://', 'the rpc result backend needs a RabbitMQ '
            . 'broker (amqp://...): its results are messages the broker delivers to this client. With a Redis '
            . 'broker, pass the Redis result backend the workers use (backend: \'redis://...\').');
    }

    /**
     * @param string|list<string>|object $broker
     * @param array<string, mixed> $amqpConfig AmqpBroker::config()
     * @throws InvalidConfiguration
     */
    public static function backend(
        #[\SensitiveParameter] string|array|object $broker,
        #[\SensitiveParameter] array $amqpConfig,
        string $oid,
        ?int $resultExpires,
        ?int $resultMaxSize,
    ): RpcResultBackend {
        $settings = AmqpSettings::fromConfig($amqpConfig);
        if (AmqpConnector::client($settings->client) !== AmqpSettings::PHP_AMQPLIB) {
            throw InvalidConfiguration::invalid('amqp_client', $settings->client, 'rpc:// results are read with '
                . 'php-amqplib in this version: install it (Debian: apt install php-amqplib; Composer: composer require '
                . 'php-amqplib/php-amqplib), or use the Redis result backend.');
        }
        if (is_object($broker) && !$broker instanceof \PhpAmqpLib\Connection\AbstractConnection) {
            throw InvalidConfiguration::invalid('result_backend', 'rpc://', 'rpc:// results need a broker URL or a '
                . 'php-amqplib connection (PhpAmqpLib\Connection\AbstractConnection) to read them on.');
        }
        // A connection of its own (a channel of its own on an injected connection).
        $connection = is_object($broker)
            ? new PhpAmqpLibConnection([], $settings, $broker)
            : new PhpAmqpLibConnection(AmqpUrl::fromString($broker)->nodes(), $settings);
        $consumer = new PhpAmqpLibReplyConsumer($oid, RpcResultBackend::queueArguments($resultExpires), $connection);
        return new RpcResultBackend($oid, $consumer, $resultMaxSize);
    }

    /** The AMQP transport, declaring the reply queue before each publish when results come by rpc. */
    public static function transport(Transport $transport, ?RpcResultBackend $results): Transport
    {
        return $results === null ? $transport : new RpcReplyQueueTransport($transport, $results);
    }
}
