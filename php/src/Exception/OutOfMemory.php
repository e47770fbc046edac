<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * Redis reached `maxmemory` with the `noeviction` policy and refused the write (OOM): it did not
 * happen. Retrying does not help until memory is freed.
 */
final class OutOfMemory extends ConnectionFailed
{
    public static function at(string $server, string $reply, ?\Throwable $previous = null): self
    {
        return new self(sprintf(
            'Redis at %s is out of memory and refused the write (%s); it did not happen. Check '
            . '`maxmemory`, whether workers are consuming the queues (LLEN), and result_expires.',
            $server,
            $reply,
        ), 0, $previous);
    }
}
