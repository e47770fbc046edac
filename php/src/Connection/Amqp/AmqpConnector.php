<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Exception\InvalidConfiguration;

/**
 * Turns what a user passes as an AMQP `broker:` into an AmqpConnection, like
 * ConnectionOptions::connect() does for Redis: a URL (or failover list) with the library amqp_client chooses, a connected
 * php-amqplib connection, or an AmqpConnection as it is. Does no I/O.
 *
 * @internal
 */
final class AmqpConnector
{
    /**
     * @param string|list<string>|object $target
     * @throws InvalidConfiguration
     */
    public static function create(#[\SensitiveParameter] string|array|object $target, AmqpSettings $settings): AmqpConnection
    {
        if ($target instanceof AmqpConnection) {
            return $target;
        }
        if (is_object($target)) {
            if (PhpAmqpLibConnection::available() && $target instanceof \PhpAmqpLib\Connection\AbstractConnection) {
                return new PhpAmqpLibConnection([], $settings, $target);
            }
            if ($target instanceof \AMQPConnection) {
                return new ExtAmqpConnection([], $settings, $target);
            }
            throw InvalidConfiguration::invalid('broker', $target, 'expected an AMQP URL, a php-amqplib connection '
                . '(PhpAmqpLib\Connection\AbstractConnection), an \AMQPConnection (ext-amqp), or a Redis URL or client.');
        }
        $nodes = AmqpUrl::fromString($target)->nodes();
        return match (self::client($settings->client)) {
            AmqpSettings::PHP_AMQPLIB => new PhpAmqpLibConnection($nodes, $settings),
            default => new ExtAmqpConnection($nodes, $settings),
        };
    }

    /**
     * Which library a URL connection uses: php-amqplib when installed (it writes Celery's exact
     * header types), else ext-amqp.
     *
     * @throws InvalidConfiguration
     */
    public static function client(string $wanted): string
    {
        return match ($wanted) {
            AmqpSettings::PHP_AMQPLIB => PhpAmqpLibConnection::available() ? $wanted : throw InvalidConfiguration::invalid(
                'amqp_client',
                $wanted,
                'php-amqplib is not installed: composer require php-amqplib/php-amqplib (Debian: apt install php-amqplib).',
            ),
            AmqpSettings::EXT_AMQP => extension_loaded('amqp') ? $wanted : throw InvalidConfiguration::invalid(
                'amqp_client',
                $wanted,
                'the amqp extension (ext-amqp) is not loaded: install it (Debian: apt install php-amqp; PECL: pecl install amqp).',
            ),
            default => match (true) {
                PhpAmqpLibConnection::available() => AmqpSettings::PHP_AMQPLIB,
                extension_loaded('amqp') => AmqpSettings::EXT_AMQP,
                default => throw InvalidConfiguration::invalid(
                    'broker',
                    'an AMQP URL',
                    'talking to RabbitMQ needs an AMQP library: composer require php-amqplib/php-amqplib (Debian: apt install '
                    . 'php-amqplib), or the amqp extension (Debian: apt install php-amqp).',
                ),
            },
        };
    }
}
