<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use PhpAmqpLib\Connection\AbstractConnection;
use PhpAmqpLib\Connection\AMQPConnectionConfig;
use PhpAmqpLib\Connection\AMQPConnectionFactory;
use PhpAmqpLib\Connection\AMQPSSLConnection;

/**
 * How php-amqplib connects to one node of the broker URL's list, with the settings (timeouts,
 * heartbeat, TLS): the same for the publisher (PhpAmqpLibConnection) and for the channel of
 * control, queues and events (Broker\Amqp\Channels).
 *
 * @internal
 */
final class PhpAmqpLibNode
{
    private function __construct()
    {
    }

    /**
     * @param float $readTimeout the least read (and write, and RPC) timeout the caller needs
     * @throws \PhpAmqpLib\Exception\AMQPExceptionInterface|\RuntimeException|\ErrorException
     */
    public static function connect(AmqpUrl $url, AmqpSettings $settings, float $readTimeout): AbstractConnection
    {
        $heartbeat = $url->heartbeat ?? $settings->heartbeat;
        // php-amqplib wants the read timeout at least twice the heartbeat.
        $read = max($readTimeout, 2 * $heartbeat);
        if (!$url->ssl && $settings->ssl() === null) {
            $config = new AMQPConnectionConfig();
            $config->setHost($url->host);
            $config->setPort($url->port);
            $config->setUser($url->user);
            $config->setPassword($url->password());
            $config->setVhost($url->vhost);
            $config->setConnectionTimeout($url->connectTimeout ?? $settings->connectTimeout);
            $config->setHeartbeat($heartbeat);
            $config->setReadTimeout($read);
            $config->setWriteTimeout($read);
            $config->setChannelRPCTimeout($read);
            $config->setLoginMethod(AMQPConnectionConfig::AUTH_PLAIN);
            return AMQPConnectionFactory::create($config);
        }
        // TLS: php-amqplib's factory passes only some ssl options (no peer_name) and connects
        // over tcp:// when none is set, so the TLS connection is made here, every PHP ssl
        // context option passed through.
        return new AMQPSSLConnection(
            $url->host,
            $url->port,
            $url->user,
            $url->password(),
            $url->vhost,
            $settings->ssl() ?? ['verify_peer' => true, 'verify_peer_name' => true],
            [
                'login_method' => AMQPConnectionConfig::AUTH_PLAIN,
                'connection_timeout' => $url->connectTimeout ?? $settings->connectTimeout,
                'read_write_timeout' => $read,
                'channel_rpc_timeout' => $read,
                'heartbeat' => $heartbeat,
            ],
        );
    }

    /** Whether php-amqplib's connect error is a TLS handshake failure (not a refused port). */
    public static function handshakeFailed(AmqpUrl $url, AmqpSettings $settings, \Throwable $error): bool
    {
        if (!$url->ssl && $settings->ssl() === null) {
            return false;
        }
        $message = $error->getMessage();
        return preg_match('/ssl|tls|certificate|handshake/i', $message) === 1 && stripos($message, 'refused') === false;
    }
}
