<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

/**
 * The AMQP library's own objects a connection of ours uses: both php-amqplib's and ext-amqp's
 * connection objects keep the password (and their channels and queues keep the connection), so
 * they are held through a \SensitiveParameterValue (see hold()): var_dump(), print_r(),
 * var_export() and traces of a client never show them.
 *
 * @internal
 */
final class LibraryObjects
{
    public ?object $connection = null;
    public ?object $channel = null;
    public ?object $consumed = null;

    public static function hold(?object $connection): \SensitiveParameterValue
    {
        $objects = new self();
        $objects->connection = $connection;
        return new \SensitiveParameterValue($objects);
    }
}
