<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * Nothing accepted the connection: the server is down, the host/port/socket path is wrong, or
 * the host name does not resolve. Nothing was sent.
 */
final class ConnectionRefused extends ConnectionFailed
{
    public static function at(string $server, string $detail, ?\Throwable $previous = null): self
    {
        if (str_starts_with($server, 'unix:')) {
            return new self(sprintf(
                'Redis at %s: cannot connect (%s). Check the socket path, that redis-server runs with '
                . '`unixsocket` set to it, and that this PHP user may open it (`unixsocketperm`).',
                $server,
                $detail,
            ), 0, $previous);
        }
        return new self(sprintf(
            'Redis at %s refused the connection (%s). Check that redis-server is running and listens '
            . 'on that host and port (`bind`, `port`), and that the URL names them.',
            $server,
            $detail,
        ), 0, $previous);
    }

    public static function unresolvable(string $server, string $host, string $detail, ?\Throwable $previous = null): self
    {
        return new self(sprintf(
            'Redis at %s: the host name "%s" does not resolve (%s). Check the host in the URL.',
            $server,
            $host,
            $detail,
        ), 0, $previous);
    }
}
