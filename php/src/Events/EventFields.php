<?php

declare(strict_types=1);

namespace CeleryBridge\Events;

/**
 * Reading the fields every Celery event carries (celery.events.event(): hostname, utcoffset,
 * pid, clock, timestamp, type) from a decoded event body.
 *
 * @internal
 */
final class EventFields
{
    private function __construct()
    {
    }

    /**
     * @param array<string, mixed> $fields
     */
    public static function string(array $fields, string $name): ?string
    {
        return is_string($fields[$name] ?? null) ? $fields[$name] : null;
    }

    /**
     * @param array<string, mixed> $fields
     */
    public static function int(array $fields, string $name): ?int
    {
        return is_int($fields[$name] ?? null) ? $fields[$name] : null;
    }

    /**
     * @param array<string, mixed> $fields
     */
    public static function float(array $fields, string $name): ?float
    {
        $value = $fields[$name] ?? null;
        return is_int($value) || is_float($value) ? (float) $value : null;
    }

    /**
     * The event's timestamp, a Unix time in seconds (Python's time.time()).
     *
     * @param array<string, mixed> $fields
     */
    public static function time(array $fields, string $name = 'timestamp'): ?\DateTimeImmutable
    {
        $seconds = self::float($fields, $name);
        if ($seconds === null || !is_finite($seconds)) {
            return null;
        }
        return \DateTimeImmutable::createFromFormat('U.u', sprintf('%.6F', $seconds)) ?: null;
    }
}
