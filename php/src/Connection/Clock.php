<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

/**
 * The one source of "what time is it" for everything that waits or times: deadlines, socket
 * timeouts, retry pauses, health checks. Monotonic seconds (hrtime), which a change of the
 * system clock does not move; only the values Celery reads as dates (event timestamps, ETAs,
 * a broadcast's expiry) are wall-clock time.
 *
 * What waits takes a Clock (system() unless told otherwise), so a test can hand it one that
 * reads what the test says and prove a deadline without sleeping. Deadlines are absolute
 * readings of the clock that made them: an object that waits until a deadline reads the clock
 * of the object that computed it. now() is the system clock's reading, which the Redis
 * connections use (their withDeadline() deadlines, how long a failed command took): a test's
 * clock goes with a test's connection.
 *
 * @internal
 */
final class Clock
{
    private static ?self $system = null;

    /**
     * @param (\Closure(): float)|null $source monotonic seconds; null: hrtime
     */
    public function __construct(private readonly ?\Closure $source = null)
    {
    }

    public static function system(): self
    {
        return self::$system ??= new self();
    }

    /** The system clock's seconds, as system()->seconds() reads them. */
    public static function now(): float
    {
        return hrtime(true) / 1e9;
    }

    public function seconds(): float
    {
        return $this->source === null ? hrtime(true) / 1e9 : (float) ($this->source)();
    }

    /**
     * The absolute time $timeout seconds from now on this clock; null (no limit) stays null.
     */
    public function deadline(?float $timeout): ?float
    {
        return $timeout === null ? null : $this->seconds() + $timeout;
    }

    /** Seconds until $deadline on this clock (negative once it passed). */
    public function left(float $deadline): float
    {
        return $deadline - $this->seconds();
    }
}
