<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Wire\KombuJson;

use function array_is_list;
use function array_key_exists;
use function count;
use function ctype_print;
use function implode;
use function is_array;
use function is_int;
use function is_object;
use function is_string;
use function mb_check_encoding;
use function strcspn;
use function strlen;

/**
 * Which task arguments the template paths (PlainTaskEncoder for Redis, AmqpTaskTemplate for
 * RabbitMQ) may write themselves, and their repr when it is plain Python: anything else takes
 * the general path (MessageBuilder, KombuJson, PythonRepr), which writes the same bytes.
 *
 * @internal
 */
final class PlainValues
{
    /** Same limit as KombuJson::normalize(). */
    private const MAX_DEPTH = 100;

    /** What Python's repr escapes in printable ASCII text (quoted with '). */
    private const QUOTING = "'\\";

    /** Below saferepr's 1024 characters, so the simple repr never needs cutting. */
    public const SIMPLE_REPR_LENGTH = 1000;

    /**
     * Whether a call's args and kwargs take a template path: args a list of plain data, kwargs
     * keyed by non-empty strings (Python's keyword names), plain, and not itself shaped like a
     * kombu marker (as any map inside must not be).
     *
     * @param array<array-key, mixed> $args
     * @param array<array-key, mixed> $kwargs
     */
    public static function call(array $args, array $kwargs): bool
    {
        if (!array_is_list($args) || !self::plain($args, 0)) {
            return false;
        }
        if ($kwargs === []) {
            return true;
        }
        foreach ($kwargs as $key => $_) {
            if (!is_string($key) || $key === '') {
                return false;
            }
        }
        return self::plain($kwargs, 0) && !self::markerShaped($kwargs);
    }

    /**
     * Data json_encode() writes exactly as KombuJson does: no objects (dates, JsonSerializable
     * and enums need the general path), no maps kombu would read as a typed value.
     *
     * @param array<array-key, mixed> $values
     */
    public static function plain(array $values, int $depth): bool
    {
        if ($depth >= self::MAX_DEPTH) {
            return false;
        }
        foreach ($values as $value) {
            if (is_array($value)) {
                if (self::markerShaped($value) || !self::plain($value, $depth + 1)) {
                    return false;
                }
            } elseif (is_object($value)) {
                return false;
            }
        }
        return true;
    }

    /**
     * KombuMarker::shaped(), here so that this path loads no more: kombu reads a map whose keys
     * are exactly __type__ and __value__ as a typed value.
     *
     * @param array<array-key, mixed> $map
     */
    public static function markerShaped(array $map): bool
    {
        return count($map) === 2 && array_key_exists('__type__', $map) && array_key_exists('__value__', $map);
    }

    /**
     * saferepr() of a flat list or map of ints, bools, None and short printable-ASCII strings
     * without quotes or backslashes, whose repr is plain Python; null for anything else.
     *
     * @param array<array-key, mixed> $values
     */
    public static function simpleRepr(array $values, string $open, string $close): ?string
    {
        if ($values === []) {
            return $open === '[' ? '()' : '{}';
        }
        if ($open === '[') {
            // The commonest arguments, a few ints: implode() writes them as Python does.
            foreach ($values as $value) {
                if (!is_int($value)) {
                    break;
                }
            }
            if (is_int($value)) {
                $repr = '[' . implode(', ', $values) . ']';
                return strlen($repr) < self::SIMPLE_REPR_LENGTH ? $repr : null;
            }
        }
        $items = [];
        foreach ($values as $key => $value) {
            $text = match (true) {
                is_int($value) => (string) $value,
                $value === true => 'True',
                $value === false => 'False',
                $value === null => 'None',
                is_string($value) && self::simpleText($value) => "'" . $value . "'",
                default => null,
            };
            if ($text === null || ($open === '{' && !self::simpleText((string) $key))) {
                return null;
            }
            $items[] = $open === '{' ? "'" . $key . "': " . $text : $text;
        }
        $repr = $open . implode(', ', $items) . $close;
        return strlen($repr) < self::SIMPLE_REPR_LENGTH ? $repr : null;
    }

    private static function simpleText(string $text): bool
    {
        // Printable ASCII (ASCII first: ctype_print() alone follows the locale), then no ' or \.
        // (Not strspn() over the allowed characters: it compares each byte with each of them.)
        return $text === '' || (
            strlen($text) < self::SIMPLE_REPR_LENGTH && mb_check_encoding($text, 'ASCII') && ctype_print($text)
            && strcspn($text, self::QUOTING) === strlen($text)
        );
    }

    /**
     * kwargs as the general path normalizes them for PythonRepr::kwargs(): a map, even when
     * empty (json_decode would read an empty one as a list).
     *
     * @param array<array-key, mixed> $kwargs
     */
    public static function normalizedKwargs(array $kwargs): \stdClass
    {
        $normalized = KombuJson::normalize($kwargs, 'kwargs');
        return $normalized instanceof \stdClass ? $normalized : new \stdClass();
    }
}
