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

    /**
     * What a decoded JSON value is, in JSON's words ({} and [] both decode to a PHP []).
     */
    public static function jsonKind(mixed $value): string
    {
        return match (true) {
            is_array($value) => $value === [] || !array_is_list($value) ? 'a JSON object' : 'a JSON array',
            is_string($value) => 'a string',
            default => get_debug_type($value),
        };
    }

    /**
     * Text from outside (a remote exception message, a stored state) made safe for a message
     * and a log line: at most $max characters, control characters (CR, LF, NUL...) escaped.
     */
    public static function text(string $text, int $max = 500): string
    {
        return self::shorten($text, $max);
    }

    private static function shorten(string $text, int $max = 60): string
    {
        // Cut on a character boundary first, so that a huge text costs no more than a short one.
        $cut = strlen($text) > $max * 4 ? mb_strcut($text, 0, $max * 4, 'UTF-8') : $text;
        if (!mb_check_encoding($cut, 'UTF-8')) {
            return 'bytes 0x' . bin2hex(substr($text, 0, 16)) . (strlen($text) > 16 ? '...' : '');
        }
        $short = mb_strlen($cut) > $max ? mb_substr($cut, 0, $max) . '...' : ($cut === $text ? $text : $cut . '...');
        // Control characters (kombu's "\x06\x16" separator among them, CR and LF that would
        // forge log lines) are shown escaped.
        $escape = static fn (array $m): string => sprintf('\\x%02x', ord($m[0]));
        return (string) preg_replace_callback('/[\x00-\x1f\x7f]/', $escape, $short);
    }
}
