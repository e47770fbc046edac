<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * Short, safe renderings of values for exception messages.
 *
 * @internal
 */
final class Describe
{
    public static function value(mixed $value): string
    {
        return match (true) {
            $value === null => 'null',
            is_bool($value) => $value ? 'true' : 'false',
            is_int($value) => (string) $value,
            is_float($value) => is_finite($value) ? var_export($value, true) : (is_nan($value) ? 'NAN' : 'INF'),
            is_string($value) => '"' . self::shorten($value) . '"',
            is_array($value) => 'array(' . count($value) . ')',
            is_object($value) => 'an object of class ' . $value::class,
            default => 'a ' . get_debug_type($value),
        };
    }

    private static function shorten(string $text): string
    {
        if (!mb_check_encoding($text, 'UTF-8')) {
            return 'bytes 0x' . bin2hex(substr($text, 0, 16)) . (strlen($text) > 16 ? '...' : '');
        }
        $short = mb_strlen($text) > 60 ? mb_substr($text, 0, 60) . '...' : $text;
        // Control characters (kombu's "\x06\x16" separator among them) would be invisible in a log.
        $escape = static fn (array $m): string => sprintf('\\x%02x', ord($m[0]));
        return (string) preg_replace_callback('/[\x00-\x1f\x7f]/', $escape, $short);
    }
}
