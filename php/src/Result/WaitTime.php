<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Exception\InvalidTimeout;

/**
 * The timeout a result wait was given, checked once: null, or a number of seconds >= 0.
 *
 * INF and anything from FOREVER seconds up (1e300, PHP_FLOAT_MAX, 9.3e18) wait without limit,
 * as null does (Celery's get(timeout=float('inf')) waits for ever too): no deadline that far
 * can be reached, and clocks and socket timeouts cannot even hold it. NAN and negative
 * timeouts are refused.
 *
 * @internal
 */
final class WaitTime
{
    /** About 31 years: a wait this long or longer has no limit. */
    public const FOREVER = 1e9;

    /**
     * Even a timeout shorter than this (0 included) reads the stored result once, and that
     * read may take up to this long: "is it there now?" must be answered, not cut short.
     */
    public const ONE_READ = 0.5;

    /**
     * @return float|null seconds, or null for no limit
     * @throws InvalidTimeout
     */
    public static function seconds(?float $timeout): ?float
    {
        if ($timeout === null) {
            return null;
        }
        if (is_nan($timeout) || $timeout < 0) {
            throw InvalidTimeout::of($timeout);
        }
        return $timeout >= self::FOREVER ? null : $timeout;
    }
}
