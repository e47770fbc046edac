<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

use CeleryBridge\Exception\Describe;

/**
 * kombu's JSON type markers, read as kombu's decoder reads them.
 *
 * kombu turns every JSON object whose keys are exactly {__type__, __value__} into a Python value
 * (kombu/utils/json.py): datetime.fromisoformat(), date, time.fromisoformat(), Decimal(),
 * uuid.UUID(**value), str.encode() for "bytes", base64 for "base64". A marker it cannot decode
 * makes the whole message undecodable: the worker drops the task, and inside the envelope's
 * headers it stops the worker. The result backend reads results through the same table, and
 * the publisher checks user data against it before anything is written.
 *
 * @internal
 */
final class KombuMarker
{
    public const TYPES = ['datetime', 'date', 'time', 'decimal', 'uuid', 'bytes', 'base64'];

    /**
     * Whether kombu reads this map as a typed value: its keys are exactly __type__ and __value__.
     *
     * @param array<array-key, mixed> $map
     */
    public static function shaped(array $map): bool
    {
        return count($map) === 2 && array_key_exists('__type__', $map) && array_key_exists('__value__', $map);
    }

    private function __construct()
    {
    }

    /**
     * The PHP value of a marker: DateTimeImmutable for datetime, date and time; a string for
     * the others (decimal text, canonical UUID, bytes).
     *
     * @param mixed $value the "__value__" as decoded JSON (maps as arrays)
     * @throws \UnexpectedValueException when kombu could not decode it either
     */
    public static function decode(mixed $type, mixed $value): mixed
    {
        return match ($type) {
            'datetime' => PythonTime::fromisoformat(self::markerString('datetime', $value)),
            'date' => PythonTime::dateFromisoformat(self::markerString('date', $value)),
            'time' => PythonTime::timeFromisoformat(self::markerString('time', $value)),
            'decimal' => self::decimal($value),
            'uuid' => self::uuid($value),
            'bytes' => self::markerString('bytes', $value),
            'base64' => self::base64(self::markerString('base64', $value)),
            default => throw new \UnexpectedValueException(sprintf(
                'it contains a kombu type marker of unknown type %s (kombu itself refuses it too).',
                self::show($type),
            )),
        };
    }

    private static function markerString(string $type, mixed $value): string
    {
        if (!is_string($value)) {
            throw new \UnexpectedValueException(sprintf('a "%s" marker holds %s instead of a string.', $type, Describe::jsonKind($value)));
        }
        return $value;
    }

    private static function decimal(mixed $value): string
    {
        if (is_int($value)) {
            return (string) $value;
        }
        $text = trim(self::markerString('decimal', $value));
        // The syntax Python's Decimal() accepts, underscores between digits included.
        $digits = '\d+(?:_\d+)*';
        $pattern = "/^[+-]?(?:(?:$digits(?:\\.(?:$digits)?)?|\\.$digits)(?:e[+-]?$digits)?|inf(?:inity)?|s?nan\\d*)$/i";
        if (preg_match($pattern, $text) !== 1) {
            throw new \UnexpectedValueException(sprintf('a "decimal" marker holds %s, which is not a decimal.', self::show($text)));
        }
        return $text;
    }

    private static function uuid(mixed $value): string
    {
        $hex = is_array($value) && count($value) === 1 ? ($value['hex'] ?? null) : null;
        if (!is_string($hex)) {
            throw new \UnexpectedValueException('a "uuid" marker does not hold {"hex": "<32 hex digits>"}.');
        }
        // uuid.UUID(hex=...) drops these decorations before counting digits.
        $bare = str_replace(['urn:', 'uuid:', '{', '}', '-'], '', strtolower($hex));
        if (preg_match('/^[0-9a-f]{32}$/D', $bare) !== 1) {
            throw new \UnexpectedValueException(sprintf('a "uuid" marker holds %s, which is not a UUID.', self::show($hex)));
        }
        return Uuid::fromHex($bare);
    }

    private static function base64(string $text): string
    {
        // base64.b64decode() without validate=True skips characters outside the alphabet.
        $clean = (string) preg_replace('#[^A-Za-z0-9+/=]#', '', $text);
        $bytes = base64_decode($clean, true);
        if ($bytes === false || strlen(rtrim($clean, '=')) % 4 === 1) {
            throw new \UnexpectedValueException(sprintf('a "base64" marker holds %s, which is not base64.', self::show($text)));
        }
        return $bytes;
    }


    private static function show(mixed $value): string
    {
        return Describe::value($value);
    }
}
