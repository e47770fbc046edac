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
            . 'that it is not blocked (a long script, a full disk). The wait is redis_socket_timeout for the '
            . 'result backend, broker_transport_options socket_timeout for the broker, or what was left of '
            . 'the get() timeout or task_publish_timeout.',
            $server,
            $command,
            self::seconds($timeout),
        ), 0, $previous);
    }

    public static function noAnswerBeforeDeadline(string $server, string $command, float $left, ?\Throwable $previous = null): self
    {
        return new self(sprintf(
            'Redis at %s did not answer %s in the %s s left of the time given for this call (the get() '
            . 'timeout, a control call\'s timeout, or task_publish_timeout for a publish). Check that the server '
            . 'is not blocked.',
            $server,
            $command,
            self::seconds($left),
        ), 0, $previous);
    }

    public static function deadline(string $server, string $command): self
    {
        return new self(sprintf(
            'Redis at %s: the time given for this call ran out before %s could be sent (the get() timeout, '
            . 'a control call\'s timeout, or task_publish_timeout for a publish).',
            $server,
            $command,
        ));
    }

    private static function seconds(float $timeout): string
    {
        return rtrim(rtrim(sprintf('%.3f', $timeout), '0'), '.');
    }
}
