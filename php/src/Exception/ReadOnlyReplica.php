<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * The server is a read-only replica (READONLY): the write was refused and did not happen.
 * Typical right after a Sentinel failover, or when the URL points at a replica.
 */
final class ReadOnlyReplica extends ConnectionFailed
{
    public static function at(string $server, string $reply, ?\Throwable $previous = null): self
    {
        return new self(sprintf(
            'Redis at %s is a read-only replica (%s); the write did not happen. Point the URL at the '
            . 'master, or use sentinel://host:26379 with master_name so that failovers are followed.',
            $server,
            $reply,
        ), 0, $previous);
    }

    public static function roleIs(string $server, string $role, ?\Throwable $previous = null): self
    {
        return new self(sprintf(
            'Redis at %s was named master by Sentinel but reports role "%s"; a failover is probably '
            . 'in progress.',
            $server,
            $role,
        ), 0, $previous);
    }
}
