<?php

declare(strict_types=1);

namespace CeleryBridge\Broker\Amqp;

use CeleryBridge\Connection\Amqp\AmqpConnector;
use CeleryBridge\Connection\Amqp\AmqpSettings;
use CeleryBridge\Connection\Amqp\AmqpUrl;
use CeleryBridge\Connection\Amqp\ExtAmqpCredentials;
use CeleryBridge\Exception\AuthenticationFailed;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\ConnectionRefused;
use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\TlsFailed;

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
        $failure = null;
        foreach (AmqpUrl::fromString($broker)->nodes() as $node) {
            try {
                return $client === AmqpSettings::EXT_AMQP ? self::extAmqp($node, $settings) : self::amqpLib($node, $settings);
            } catch (\AMQPException | \PhpAmqpLib\Exception\AMQPExceptionInterface | \ErrorException $e) {
                $text = sprintf('cannot connect (%s: %s).', substr((string) strrchr('\\' . $e::class, '\\'), 1), $e->getMessage());
                // php-amqplib's exception is not chained: its trace holds the connect frames,
                // whose arguments include the password (ext-amqp's connect() takes none).
                $previous = $e instanceof \AMQPException ? $e : null;
                if (str_contains($e->getMessage(), 'ACCESS_REFUSED') || str_contains($e->getMessage(), 'NOT_ALLOWED')) {
                    $text .= ' Check the user, password and vhost of the broker URL.';
                    throw AuthenticationFailed::atRabbitMq($node->server(), $text, $previous);
                }
                $handshake = $client === AmqpSettings::EXT_AMQP
                    ? ExtAmqpCredentials::handshakeFailed($node, $settings, $e)
                    : preg_match('/ssl|tls|certificate|handshake/i', $e->getMessage()) === 1;
                if ($handshake) {
                    throw TlsFailed::atRabbitMq($node->server(), $text . ' Check that the port speaks TLS and the '
                        . 'certificate settings (broker_use_ssl: ca_certs, cert_reqs).', $previous);
                }
                // kombu's failover: the next URL of the list.
                $failure = ConnectionRefused::atRabbitMq($node->server(), $text, $previous);
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

    private static function extAmqp(AmqpUrl $node, AmqpSettings $settings): ExtAmqpChannel
    {
        $connection = new \AMQPConnection(ExtAmqpCredentials::of($node, $settings, $settings->readTimeout));
        $connection->connect();
        return new ExtAmqpChannel($connection, $node->server());
    }

    /**
     * The same connection PhpAmqpLibConnection makes for publishing (its TLS branch included:
     * php-amqplib's factory would connect over tcp:// when no ssl option it knows is set).
     */
    private static function amqpLib(AmqpUrl $node, AmqpSettings $settings): AmqpLibChannel
    {
        $heartbeat = $node->heartbeat ?? $settings->heartbeat;
        // php-amqplib wants the read timeout at least twice the heartbeat.
        $read = max($settings->readTimeout, 2 * $heartbeat);
        if (!$node->ssl && $settings->ssl === null) {
            $config = new \PhpAmqpLib\Connection\AMQPConnectionConfig();
            $config->setHost($node->host);
            $config->setPort($node->port);
            $config->setUser($node->user);
            $config->setPassword($node->password());
            $config->setVhost($node->vhost);
            $config->setConnectionTimeout($node->connectTimeout ?? $settings->connectTimeout);
            $config->setHeartbeat($heartbeat);
            $config->setReadTimeout($read);
            $config->setWriteTimeout($read);
            $config->setChannelRPCTimeout($read);
            $config->setLoginMethod(\PhpAmqpLib\Connection\AMQPConnectionConfig::AUTH_PLAIN);
            return new AmqpLibChannel(\PhpAmqpLib\Connection\AMQPConnectionFactory::create($config), $node->server());
        }
        $connection = new \PhpAmqpLib\Connection\AMQPSSLConnection(
            $node->host,
            $node->port,
            $node->user,
            $node->password(),
            $node->vhost,
            $settings->ssl ?? ['verify_peer' => true, 'verify_peer_name' => true],
            [
                'login_method' => \PhpAmqpLib\Connection\AMQPConnectionConfig::AUTH_PLAIN,
                'connection_timeout' => $node->connectTimeout ?? $settings->connectTimeout,
                'read_write_timeout' => $read,
                'channel_rpc_timeout' => $read,
                'heartbeat' => $heartbeat,
            ],
        );
        return new AmqpLibChannel($connection, $node->server());
    }
}
