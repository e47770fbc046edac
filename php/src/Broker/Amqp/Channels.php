<?php

declare(strict_types=1);

namespace CeleryBridge\Broker\Amqp;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidBrokerUrl;
use CeleryBridge\Exception\InvalidConfiguration;

/**
 * Opens a Channel on the PHP AMQP library the amqp_client setting names, like redis_client:
 *
 *   'auto'         php-amqplib when its classes can be loaded, else ext-amqp
 *   'php-amqplib'  pure PHP; the only one that writes Celery's exact header types (I, F{})
 *   'ext-amqp'     the php-amqp extension (C, faster); ints go out as l, see ExtAmqpChannel
 *
 * or wraps a connection the application made (an AMQPStreamConnection/AMQPSocketConnection or
 * an \AMQPConnection).
 *
 * @internal
 */
final class Channels
{
    public const AUTO = 'auto';
    public const AMQPLIB = 'php-amqplib';
    public const EXT = 'ext-amqp';

    private function __construct()
    {
    }

    /**
     * @throws InvalidConfiguration when the library asked for (or, with auto, any) is missing
     */
    public static function client(string $wanted): string
    {
        $amqplib = class_exists(\PhpAmqpLib\Connection\AMQPStreamConnection::class);
        $ext = extension_loaded('amqp');
        return match ($wanted) {
            self::AMQPLIB => $amqplib ? $wanted : throw InvalidConfiguration::invalid(
                'amqp_client',
                $wanted,
                'php-amqplib is not installed or not autoloaded (class PhpAmqpLib\Connection\AMQPStreamConnection '
                . 'not found): composer require php-amqplib/php-amqplib, or use amqp_client => ext-amqp.',
            ),
            self::EXT => $ext ? $wanted : throw InvalidConfiguration::invalid(
                'amqp_client',
                $wanted,
                'the php-amqp extension (ext-amqp) is not loaded; install it (apt install php-amqp, or pecl install amqp), '
                . 'or use amqp_client => php-amqplib.',
            ),
            self::AUTO => match (true) {
                $amqplib => self::AMQPLIB,
                $ext => self::EXT,
                default => throw InvalidConfiguration::invalid('amqp_client', $wanted, 'an amqp:// broker needs a PHP '
                    . 'AMQP library: composer require php-amqplib/php-amqplib (preferred: it writes Celery\'s exact '
                    . 'header types), or install the php-amqp extension (ext-amqp).'),
            },
            default => throw InvalidConfiguration::invalid('amqp_client', $wanted, "expected 'auto', 'php-amqplib' or 'ext-amqp'."),
        };
    }

    /**
     * A channel on a new connection to the broker of an amqp:// URL (user, password, host,
     * port, vhost: "/" is written "//" or "/%2F").
     *
     * @throws InvalidBrokerUrl|InvalidConfiguration|ConnectionFailed
     */
    public static function open(#[\SensitiveParameter] string $url, string $client = self::AUTO, float $timeout = 4.0): Channel
    {
        $parts = parse_url($url);
        $scheme = is_array($parts) ? strtolower($parts['scheme'] ?? '') : '';
        if (!in_array($scheme, ['amqp', 'pyamqp', 'librabbitmq'], true)) {
            throw InvalidBrokerUrl::because($url, 'expected an amqp:// URL.');
        }
        $host = (string) ($parts['host'] ?? '127.0.0.1');
        $port = (int) ($parts['port'] ?? 5672);
        $user = rawurldecode((string) ($parts['user'] ?? 'guest'));
        $password = rawurldecode((string) ($parts['pass'] ?? 'guest'));
        $path = (string) ($parts['path'] ?? '');
        // kombu: the path without its leading "/" is the vhost, and an empty one is "/".
        $vhost = rawurldecode(substr($path, 1)) ?: '/';
        $server = sprintf('%s:%d%s', $host, $port, $vhost === '/' ? '' : '/' . rawurlencode($vhost));
        try {
            if (self::client($client) === self::EXT) {
                $connection = new \AMQPConnection([
                    'host' => $host, 'port' => $port, 'login' => $user, 'password' => $password, 'vhost' => $vhost,
                    'connect_timeout' => $timeout, 'read_timeout' => $timeout, 'write_timeout' => $timeout,
                ]);
                $connection->connect();
                return new ExtAmqpChannel($connection, $server);
            }
            $connection = new \PhpAmqpLib\Connection\AMQPStreamConnection(
                $host,
                $port,
                $user,
                $password,
                $vhost,
                connection_timeout: $timeout,
                read_write_timeout: $timeout,
            );
            return new AmqpLibChannel($connection, $server);
        } catch (\AMQPException | \PhpAmqpLib\Exception\AMQPExceptionInterface | \ErrorException $e) {
            throw new ConnectionFailed(sprintf('RabbitMQ at %s: cannot connect: %s', $server, $e->getMessage()), 0, $e);
        }
    }

    /**
     * A channel on a connection the application made and connected.
     *
     * @throws InvalidConfiguration for anything else
     */
    public static function wrap(object $connection): Channel
    {
        return match (true) {
            $connection instanceof \AMQPConnection
                => new ExtAmqpChannel($connection, $connection->getHost() . ':' . $connection->getPort()),
            $connection instanceof \PhpAmqpLib\Connection\AbstractConnection => new AmqpLibChannel($connection, 'the injected connection'),
            default => throw InvalidConfiguration::invalid('broker', get_class($connection), 'expected a php-amqplib '
                . 'connection or an \AMQPConnection (ext-amqp).'),
        };
    }
}
