<?php

declare(strict_types=1);

namespace CeleryBridge\Cli;

use CeleryBridge\Wire\PythonTime;

/**
 * What the CLI prints of data read from Redis, faithful and safe for a terminal: stored values
 * are whatever a worker (or anyone with access to Redis) wrote, and json_encode() alone turns
 * NaN into 0 and bytes that are not UTF-8 into null, prints dates as PHP's object internals, and
 * lets C1 control characters (a terminal reads U+009B as the start of an escape sequence) through.
 *
 * @internal
 */
final class Output
{
    private const FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR
        | JSON_PRESERVE_ZERO_FRACTION;

    /**
     * JSON as Python's json module writes it: NaN, Infinity and -Infinity bare, dates as
     * isoformat(), bytes that are not text as kombu carries them ({"__type__": "base64", ...}),
     * and every control character escaped.
     */
    public static function json(mixed $value): string
    {
        $nonce = 'celerybridge-cli-' . bin2hex(random_bytes(8)) . ':';
        $json = (string) json_encode(self::prepare($value, $nonce), self::FLAGS);
        if (str_contains($json, $nonce)) {
            $json = (string) preg_replace('/"' . $nonce . '(NaN|-?Infinity)"/', '$1', $json);
        }
        return self::escapeControls($json);
    }

    /**
     * A line of text (a state, an exception message, a traceback): newlines and tabs kept, other
     * control characters and bytes that are not UTF-8 shown as \xNN or \u{NN}.
     */
    public static function text(string $text): string
    {
        if (!mb_check_encoding($text, 'UTF-8')) {
            $text = self::bytesOutsideUtf8($text);
        }
        $text = (string) preg_replace_callback(
            '/[\x00-\x08\x0b-\x1f\x7f]/',
            static fn (array $m): string => sprintf('\x%02x', ord($m[0])),
            $text,
        );
        return (string) preg_replace_callback(
            '/[\x{80}-\x{9f}]/u',
            static fn (array $m): string => sprintf('\u{%x}', mb_ord($m[0], 'UTF-8')),
            $text,
        );
    }

    private static function prepare(mixed $value, string $nonce): mixed
    {
        return match (true) {
            is_float($value) && is_nan($value) => $nonce . 'NaN',
            is_float($value) && is_infinite($value) => $nonce . ($value > 0 ? 'Infinity' : '-Infinity'),
            is_string($value) && !mb_check_encoding($value, 'UTF-8')
                => ['__type__' => 'base64', '__value__' => base64_encode($value)],
            $value instanceof \DateTimeInterface => PythonTime::isoformat($value),
            is_array($value) => array_map(static fn (mixed $item): mixed => self::prepare($item, $nonce), $value),
            $value instanceof \stdClass => (object) array_map(
                static fn (mixed $item): mixed => self::prepare($item, $nonce),
                get_object_vars($value),
            ),
            default => $value,
        };
    }

    /** json_encode() escapes C0 controls; DEL and the C1 range (U+0080..U+009F) it leaves raw. */
    private static function escapeControls(string $json): string
    {
        return (string) preg_replace_callback(
            '/[\x7f]|[\x{80}-\x{9f}]/u',
            static fn (array $m): string => sprintf('\u%04x', mb_ord($m[0], 'UTF-8')),
            $json,
        );
    }

    /** Each byte of the text that is not part of valid UTF-8 as \xNN, the rest as it is. */
    private static function bytesOutsideUtf8(string $text): string
    {
        return (string) preg_replace_callback(
            '/((?:[\x00-\x7f]|[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}'
            . '|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2})+)|(.)/s',
            static fn (array $m): string => isset($m[2]) ? sprintf('\x%02x', ord($m[2])) : $m[1],
            $text,
        );
    }
}
