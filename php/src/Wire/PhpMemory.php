<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

/**
 * How much memory this PHP process may still allocate before memory_limit ends it with a fatal
 * error, which no code can catch: reading a result checks against it first.
 *
 * @internal
 */
final class PhpMemory
{
    private const MARGIN = 8 << 20;

    private function __construct()
    {
    }

    /** Bytes left under memory_limit, or null when there is no limit. */
    public static function left(): ?int
    {
        $limit = self::limit();
        // The limit applies to what the allocator took from the system (real usage).
        return $limit === null ? null : max(0, $limit - memory_get_usage(true));
    }

    /**
     * What a read may take: the bytes left under memory_limit less a margin for what the caller
     * then builds (8 MiB, or half of what is left when that is less), or null without a limit.
     */
    public static function spare(): ?int
    {
        $left = self::left();
        return $left === null ? null : $left - min(self::MARGIN, intdiv($left, 2));
    }

    /** memory_limit in bytes, or null when there is none (-1). */
    public static function limit(): ?int
    {
        $setting = (string) ini_get('memory_limit');
        $limit = $setting === '' ? -1 : self::quietly($setting);
        return $limit < 0 ? null : $limit;
    }

    private static function quietly(string $setting): int
    {
        set_error_handler(static fn (): bool => true);
        try {
            return ini_parse_quantity($setting);
        } finally {
            restore_error_handler();
        }
    }
}
