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
 * - The broker closed the connection: RabbitMQ's connection.close (a node shutting down,
 *   `rabbitmqctl close_connection`, CONNECTION_FORCED 320) and then an end of file wait to be
 *   read; or the network (a node killed, a proxy gone) left an end of file alone.
 *
 * php-amqplib gives its socket: closedByPeer() looks at it before every publish, without
 * blocking. ext-amqp 1.11 gives none, and its isConnected() is its own flag, still true after
 * RabbitMQ closed the connection, until it reads the close: extAmqpClosed() makes it read, by a
 * wait for confirms with none pending. That wait ends in an exception when nothing is waiting
 * (ext-amqp's "Wait timeout exceed"): about 14,000 instructions in a sendTask() (callgrind;
 * 98,000 without it), most of them the exception's trace. So it runs only when the connection
 * sat idle for CHECK_AFTER or more since its last frame read (at most 0.03% of a CPU). A close that
 * comes while a process publishes back to back (less than CHECK_AFTER between its calls) is
 * found at the confirm, as a close during a publish is: PublishOutcomeUnknown.
 *
 * @internal
 */
final class IdleConnection
{
    /** Seconds a connection sits idle before ext-amqp's check runs (see above). */
    public const CHECK_AFTER = 0.05;

    /** hrtime seconds of the last open() (or end of a wait, ext-amqp); null: never opened. */
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

    /** Whether the connection was idle for $seconds or more since it was last used; it is used now. */
    public function wasIdle(float $seconds): bool
    {
        $now = hrtime(true) / 1e9;
        $idle = $this->usedAt !== null && $now - $this->usedAt >= $seconds;
        $this->usedAt = $now;
        return $idle;
    }

    /**
     * Whether the other end has closed $socket (an end of file, or connection.close, is waiting
     * to be read), checked without blocking and without taking a byte. Other pending frames (a
     * heartbeat) mean it is alive.
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
        $peek = @stream_socket_recvfrom($socket, 64, STREAM_PEEK);
        return $peek === '' || $peek === false || self::closesConnection($peek);
    }

    /**
     * Whether the frames waiting to be read are RabbitMQ's connection.close, after heartbeats if
     * any: a heartbeat is 8 bytes (type 8, channel 0, size 0, frame end); connection.close is a
     * method frame (type 1) on channel 0 whose payload starts with class 10, method 50.
     */
    public static function closesConnection(string $frames): bool
    {
        $at = 0;
        while (($frames[$at] ?? '') === "\x08") {
            $at += 8;
        }
        return substr($frames, $at, 3) === "\x01\x00\x00" && substr($frames, $at + 7, 4) === "\x00\x0a\x00\x32";
    }

    /**
     * Whether RabbitMQ (or the network) closed the connection under an ext-amqp channel that has
     * no publish awaiting a confirm: waitForConfirm() with no timeout to speak of reads what is
     * waiting. Heartbeats are read by rabbitmq-c itself; nothing else waiting ends in "Wait
     * timeout exceed"; connection.close or an end of file in an AMQPConnectionException, after
     * which ext-amqp reports the channel (and the connection) closed.
     */
    public static function extAmqpClosed(\AMQPChannel $channel): bool
    {
        try {
            $channel->waitForConfirm(0.000001);
        } catch (\AMQPException) {
            // Nothing waiting (a timeout), or what closed is now marked so.
        }
        return !$channel->isConnected();
    }
}
