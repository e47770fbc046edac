<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Integration;

use PHPUnit\Framework\Assert;

/**
 * A loopback TCP port that listens and never answers: the kernel completes the handshake into
 * the listen backlog, so a client connects and then waits for a reply that never comes. Once
 * closed, nothing listens there: a connection is refused.
 */
final class SilentServer
{
    public readonly int $port;

    /** @var resource */
    private $socket;

    public function __construct()
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        Assert::assertIsResource($socket);
        $name = (string) stream_socket_get_name($socket, false);
        $this->socket = $socket;
        $this->port = (int) substr($name, strrpos($name, ':') + 1);
    }

    public function close(): void
    {
        fclose($this->socket);
    }

    /** A loopback port nothing listens on (it was free a moment ago). */
    public static function closedPort(): int
    {
        $server = new self();
        $server->close();
        return $server->port;
    }
}
