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
 * and has none of the old one's consumers. A connection that died under the channel (a node
 * restarted, `rabbitmqctl close_all_connections`) is dropped too when it is ours (opened from the
 * broker URL): the next call connects again, through the same failover list, as kombu's
 * ensure_connection does. An injected connection is the application's: never replaced.
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
    /** @var \SensitiveParameterValue|null the reconnect closure (it holds the URL and its password) */
    private readonly ?\SensitiveParameterValue $reconnect;

    /**
     * @param (\Closure(): array{object, string})|null $reconnect opens a new connection and names
     *        its server; null for an injected connection
     */
    public function __construct(object $connection, public string $server, ?\Closure $reconnect = null)
    {
        $this->held = LibraryObjects::hold($connection);
        $this->reconnect = $reconnect === null ? null : new \SensitiveParameterValue($reconnect);
    }

    /**
     * The library's connection; a new one when the last one was dropped.
     *
     * @throws \CeleryBridge\Exception\ConnectionFailed|\CeleryBridge\Exception\InvalidConfiguration
     */
    public function connection(): object
    {
        $lib = $this->lib();
        if ($lib->connection === null && $this->reconnect !== null) {
            [$lib->connection, $this->server] = ($this->reconnect->getValue())();
        }
        return $lib->connection ?? throw new \LogicException('A dropped connection is always ours.');
    }

    /** Whether the connection was dropped: the next call connects again, without consumers. */
    public function reconnecting(): bool
    {
        return $this->lib()->connection === null;
    }

    /**
     * After a failure: drops the channel, and the connection too when it went with it (a failure
     * that is not channel-level, or the library reports it disconnected) and it is ours.
     *
     * @return bool whether the connection was dropped (the next connection() opens a new one)
     */
    public function dropped(bool $connectionLevel): bool
    {
        $lib = $this->lib();
        $lib->channel = null;
        $lib->consumed = null;
        $this->confirming = false;
        $this->generation++;
        if ($this->reconnect === null || (!$connectionLevel && $this->connected())) {
            return false;
        }
        $this->close();
        $lib->connection = null;
        return true;
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
        $this->dropped(false);
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

    private function connected(): bool
    {
        $connection = $this->lib()->connection;
        try {
            return $connection !== null && (bool) $connection->isConnected();
        } catch (\Throwable) {
            return false;
        }
    }
}
