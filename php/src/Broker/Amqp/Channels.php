<?php

declare(strict_types=1);

namespace CeleryBridge\Broker\Amqp;

use CeleryBridge\Connection\Amqp\AmqpConnector;
use CeleryBridge\Connection\Amqp\AmqpFailure;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Connection\Amqp\AmqpUrl;
use CeleryBridge\Connection\Amqp\ExtAmqpCredentials;
use CeleryBridge\Connection\Amqp\PhpAmqpLibNode;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionRefused;
use CeleryBridge\Exception\InvalidConfiguration;

/**
 * Opens the Channel remote control, queue inspection and the event stream use, on the library
 * amqp_client picks (AmqpConnector::client(): php-amqplib when installed, else ext-amqp): a
 * connection of its own to the first node of the broker URL's failover list that answers, or a
 * new channel on a connection the application injected.
 *
 * @internal
 */
final class Channels
{
    private function __construct()
    {
    }

    /**
     * @param string|list<string>|object $broker an AMQP URL or failover list, or a connected
     *        php-amqplib connection or \AMQPConnection
     * @throws InvalidConfiguration|ConnectionFailed
     */
    public static function open(#[\SensitiveParameter] string|array|object $broker, AmqpSettings $settings): Channel
    {
        if (is_object($broker)) {
            return self::wrap($broker);
        }
        $client = AmqpConnector::client($settings->client);
        $urls = AmqpUrl::fromString($broker);
        // After a lost connection the channel connects again the same way: the failover list
        // from its first URL, the same settings.
        $connect = static fn (): array => self::connect($urls, $settings, $client);
        [$connection, $server] = $connect();
        return $client === AmqpSettings::EXT_AMQP
            ? new ExtAmqpChannel($connection, $server, $connect)
            : new AmqpLibChannel($connection, $server, $connect);
    }

    /**
     * @return array{object, string} the library's connection to the first node that answers, and its server
     * @throws InvalidConfiguration|ConnectionFailed
     */
    private static function connect(AmqpUrl $urls, AmqpSettings $settings, string $client): array
    {
        $failure = null;
        foreach ($urls->nodes() as $node) {
            try {
                return $client === AmqpSettings::EXT_AMQP
                    ? [ExtAmqpCredentials::connect($node, $settings, $settings->readTimeout), $node->server()]
                    : [PhpAmqpLibNode::connect($node, $settings, $settings->readTimeout), $node->server()];
            } catch (\AMQPException | \PhpAmqpLib\Exception\AMQPExceptionInterface | \ErrorException $e) {
                $handshake = $client === AmqpSettings::EXT_AMQP
                    ? ExtAmqpCredentials::handshakeFailed($node, $settings, $e)
                    : PhpAmqpLibNode::handshakeFailed($node, $settings, $e);
                // php-amqplib's exception is not chained: its trace holds the connect frames,
                // whose arguments include the password (ext-amqp's connect() takes none).
                $failure = AmqpFailure::of('cannot connect', $node->server(), $e, $handshake, $e instanceof \AMQPException);
                if (!$failure instanceof ConnectionRefused) {
                    throw $failure;
                }
                // kombu's failover: the next URL of the list.
            }
        }
        throw $failure ?? new \LogicException('An AMQP URL has at least one node.');
    }

    /**
     * @throws InvalidConfiguration for anything but a php-amqplib connection or an \AMQPConnection
     */
    public static function wrap(object $connection): Channel
    {
        return match (true) {
            $connection instanceof \AMQPConnection
                => new ExtAmqpChannel($connection, $connection->getHost() . ':' . $connection->getPort()),
            is_a($connection, 'PhpAmqpLib\Connection\AbstractConnection') => new AmqpLibChannel($connection, 'the injected connection'),
            default => throw InvalidConfiguration::invalid('broker', get_class($connection), 'expected an AMQP URL, a '
                . 'php-amqplib connection or an \AMQPConnection (ext-amqp).'),
        };
    }
}
