<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

/**
 * The one source of "what time is it" for everything that waits or times: deadlines, socket
 * timeouts, retry pauses, health checks. Monotonic seconds (hrtime), which a change of the
 * system clock does not move; only the values Celery reads as dates (event timestamps, ETAs,
 * a broadcast's expiry) are wall-clock time.
 *
 * @internal
 */
final class Clock
{
    private function __construct()
    {
    }

    public static function now(): float
    {
        return hrtime(true) / 1e9;
    }
}
