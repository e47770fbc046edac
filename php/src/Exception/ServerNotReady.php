<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * Redis refused the command for now: LOADING (reading its data set after a restart),
 * MASTERDOWN (a replica that lost its master), BUSY (a script is running), TRYAGAIN.
 * The command did not run; it may succeed later.
 */
final class ServerNotReady extends ConnectionFailed
{
    public static function at(string $server, string $reply, ?\Throwable $previous = null): self
    {
        return new self(sprintf(
            'Redis at %s is not ready (%s); the command did not run. Try again once the server has '
            . 'finished loading or failing over.',
            $server,
            $reply,
        ), 0, $previous);
    }
}
