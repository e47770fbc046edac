<?php

declare(strict_types=1);

namespace CeleryBridge\Broker\Amqp;

use CeleryBridge\Connection\Amqp\LibraryObjects;
use CeleryBridge\Exception\ConnectionFailed;

/**
 * What a Channel keeps of its connection, on either library: the library's objects (held as
 * LibraryObjects: they keep the password), the server named in messages, and the channels lost.
 * RabbitMQ answers a missing queue (404) or a declaration that differs (406) by closing the
 * channel, not the connection: the next call opens a new channel, which is not in confirm mode
 * and has none of the old one's consumers.
 *
 * @internal
 */
final class ChannelState
{
    private const NOT_FOUND = 404;

    /** How many channels were lost on this connection: the next one has no consumer. */
    public int $generation = 0;
    /** Whether the open channel is in confirm mode (confirm.select is once per channel). */
    public bool $confirming = false;
    private readonly \SensitiveParameterValue $held;

    public function __construct(object $connection, public readonly string $server)
    {
        $this->held = LibraryObjects::hold($connection);
    }

    public function lib(): LibraryObjects
    {
        return $this->held->getValue();
    }

    /**
     * The channel is gone (closed by the broker, or the connection failed under it).
     *
     * @return null for a missing queue (404) when $missingIsNull
     * @throws ConnectionFailed otherwise
     */
    public function lost(\Throwable $e, bool $missingIsNull = false): mixed
    {
        $this->lib()->channel = null;
        $this->confirming = false;
        $this->generation++;
        if ($missingIsNull && $e->getCode() === self::NOT_FOUND) {
            return null;
        }
        throw ConnectionFailed::atRabbitMq($this->server, $e->getMessage(), $e);
    }

    /** Closes the channel and its connection; never throws. */
    public function close(): void
    {
        $lib = $this->lib();
        try {
            $lib->channel?->close();
            // ext-amqp's \AMQPConnection disconnects; php-amqplib's connection closes.
            $lib->connection instanceof \AMQPConnection ? $lib->connection->disconnect() : $lib->connection?->close();
        } catch (\Throwable) {
            // Closing what is already gone: nothing to do.
        }
        $lib->channel = null;
    }
}
