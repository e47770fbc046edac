<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

/**
 * What a publishing connection may have met while the client sat idle between calls, checked
 * before anything is written to it: a publish written to a dead connection has an unknown
 * outcome although it never left.
 *
 * - Heartbeats (broker_heartbeat, or the URL's ?heartbeat=): PHP sends none between calls, so
 *   RabbitMQ closes the connection after two missed ones, and php-amqplib refuses to write once
 *   it has read nothing for twice the interval. Past one interval the connection is replaced.
 * - The broker (or the network) closed the socket: an end of file waits to be read.
 *
 * @internal
 */
final class IdleConnection
{
    /** hrtime seconds of the last open(); null: never opened. */
    private ?float $usedAt = null;

    /** Whether the connection was idle for one heartbeat interval or more (0: none negotiated). */
    public function heartbeatExpired(int $heartbeat): bool
    {
        return $heartbeat > 0 && $this->usedAt !== null && hrtime(true) / 1e9 - $this->usedAt >= $heartbeat;
    }

    public function used(): void
    {
        $this->usedAt = hrtime(true) / 1e9;
    }

    /**
     * Whether the other end has closed $socket (an end of file is waiting to be read), checked
     * without blocking and without taking a byte. Pending frames (a heartbeat) mean it is alive.
     */
    public static function closedByPeer(mixed $socket): bool
    {
        if (!is_resource($socket) || get_resource_type($socket) !== 'stream') {
            return false;
        }
        $read = [$socket];
        $write = $except = null;
        if (@stream_select($read, $write, $except, 0) !== 1) {
            return false;
        }
        $peek = @stream_socket_recvfrom($socket, 1, STREAM_PEEK);
        return $peek === '' || $peek === false;
    }
}
