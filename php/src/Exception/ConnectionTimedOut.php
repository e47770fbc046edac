<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * The server did not accept the connection, or did not answer the connection handshake
 * (AUTH, SELECT, PING), in time. Nothing that changes data was sent.
 */
final class ConnectionTimedOut extends ConnectionFailed
{
    public static function connecting(string $server, float $timeout, ?\Throwable $previous = null): self
    {
        return new self(sprintf(
            'Redis at %s: no connection within %s s. Check the host and port, and any firewall or '
            . 'security group between; raise broker_connection_timeout (or '
            . 'redis_socket_connect_timeout for the result backend) if the network is slow.',
            $server,
            self::seconds($timeout),
        ), 0, $previous);
    }

    public static function noAnswer(string $server, string $command, float $timeout, ?\Throwable $previous = null): self
    {
        return new self(sprintf(
            'Redis at %s accepted the connection but did not answer %s within %s s. Check that a Redis '
            . 'server listens there, whether it expects TLS (rediss://) or plain TCP (redis://), and '
            . 'that it is not blocked (a long script, a full disk).',
            $server,
            $command,
            self::seconds($timeout),
        ), 0, $previous);
    }

    private static function seconds(float $timeout): string
    {
        return rtrim(rtrim(sprintf('%.3f', $timeout), '0'), '.');
    }
}
