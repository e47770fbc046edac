<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

use CeleryBridge\Exception\Describe;
use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Exception\SerializationFailed;

/**
 * Turns PHP values into the JSON kombu's json serializer reads, and refuses what it cannot.
 *
 * kombu decodes every object whose keys are exactly {__type__, __value__} as a typed value
 * (datetime, date, time, decimal, uuid, bytes, base64) and drops the whole message when the type
 * is unknown, so dates become markers here and unknown markers are refused.
 *
 * @internal
 */
final class KombuJson
{
    public const ENCODE_FLAGS = JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
        | JSON_PRESERVE_ZERO_FRACTION;

    /** Python's json module recurses per level; stay far below its recursion limit. */
    private const MAX_DEPTH = 100;

    /** What datetime/date/time.isoformat() write, which fromisoformat() reads on every Python 3. */
    private const ISOFORMAT = [
        'datetime' => '/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:\.\d{3}|\.\d{6})?)?)?(?:[+-]\d{2}:\d{2})?)?$/D',
        'date' => '/^\d{4}-\d{2}-\d{2}$/D',
        'time' => '/^\d{2}(?::\d{2}(?::\d{2}(?:\.\d{3}|\.\d{6})?)?)?(?:[+-]\d{2}:\d{2})?$/D',
    ];

    /**
     * Validates and converts a value to plain JSON data: lists, stdClass maps and scalars.
     *
     * @throws InvalidTaskArgument naming the path of the first bad value
     */
    public static function normalize(mixed $value, string $path = 'value'): mixed
    {
        return self::walk($value, $path, 0, []);
    }

    /**
     * @throws SerializationFailed
     */
    public static function encode(mixed $normalized): string
    {
        try {
            $json = json_encode($normalized, self::ENCODE_FLAGS);
            // An exact big integer (BigInteger) is written as its digits; none exists unless
            // its class was loaded (the common path loads nothing more).
            return class_exists(BigInteger::class, false) ? BigInteger::unwrap($json) : $json;
        } catch (\JsonException $e) {
            throw SerializationFailed::because('The message could not be encoded as JSON: ' . $e->getMessage(), $e);
        }
    }


    /**
     * @param list<object> $parents objects on the current path, to refuse cycles
     */
    private static function walk(mixed $value, string $path, int $depth, array $parents): mixed
    {
        if ($value === null || is_bool($value) || is_int($value)) {
            return $value;
        }
        if (is_string($value)) {
            if (!mb_check_encoding($value, 'UTF-8')) {
                throw InvalidTaskArgument::at($path, 'is not valid UTF-8; Celery\'s JSON serializer only carries text. '
                    . 'Encode binary data, e.g. with base64_encode().');
            }
            return $value;
        }
        if (is_float($value)) {
            if (!is_finite($value)) {
                throw InvalidTaskArgument::at($path, sprintf(
                    'is %s, which JSON cannot represent; send null or a string instead.',
                    is_nan($value) ? 'NAN' : ($value > 0 ? 'INF' : '-INF'),
                ));
            }
            return $value;
        }
        if ($depth >= self::MAX_DEPTH) {
            throw InvalidTaskArgument::at($path, sprintf('is nested deeper than %d levels (or refers to itself).', self::MAX_DEPTH));
        }
        if (is_array($value)) {
            return array_is_list($value)
                ? self::walkList($value, $path, $depth, $parents)
                : self::walkMap($value, $path, $depth, $parents);
        }
        if (is_object($value)) {
            return self::walkObject($value, $path, $depth, $parents);
        }
        throw InvalidTaskArgument::at($path, sprintf('is a %s, which cannot be sent to a worker.', get_debug_type($value)));
    }

    /**
     * @param list<mixed> $list
     * @param list<object> $parents
     * @return list<mixed>
     */
    private static function walkList(array $list, string $path, int $depth, array $parents): array
    {
        foreach ($list as $i => $item) {
            $list[$i] = self::walk($item, $path . '[' . $i . ']', $depth + 1, $parents);
        }
        return $list;
    }

    /**
     * @param array<array-key, mixed> $map
     * @param list<object> $parents
     */
    private static function walkMap(array $map, string $path, int $depth, array $parents): \stdClass
    {
        $object = new \stdClass();
        foreach ($map as $key => $item) {
            $key = (string) $key;
            if (!mb_check_encoding($key, 'UTF-8')) {
                throw InvalidTaskArgument::at($path, 'has a key that is not valid UTF-8.');
            }
            if (str_starts_with($key, "\0")) {
                // Python takes such a key; a PHP object (how maps are kept here) cannot.
                throw InvalidTaskArgument::at($path, sprintf(
                    'has the key %s, which starts with a NUL character; CeleryBridge cannot carry that key in a map.',
                    json_encode($key, JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE),
                ));
            }
            $object->{$key} = self::walk($item, $path . '[' . var_export($key, true) . ']', $depth + 1, $parents);
        }
        if (count($map) === 2 && property_exists($object, '__type__') && property_exists($object, '__value__')) {
            self::checkMarker($object, $path);
        }
        return $object;
    }

    /**
     * @param list<object> $parents
     */
    private static function walkObject(object $value, string $path, int $depth, array $parents): mixed
    {
        if ($value instanceof \DateTimeInterface) {
            // The worker rebuilds a Python datetime (years 1 to 9999 only); any other year makes
            // the whole message undecodable, and it is dropped.
            $year = (int) $value->format('Y');
            if ($year < 1 || $year > 9999) {
                throw InvalidTaskArgument::at($path, sprintf(
                    'is the date %s, outside the years 1 to 9999 that Python\'s datetime can hold.',
                    $value->format('Y-m-d\\TH:i:sP'),
                ));
            }
            return self::marker('datetime', PythonTime::isoformat($value));
        }
        if ($value instanceof BigInteger) {
            return $value;
        }
        if ($value instanceof \Closure) {
            throw InvalidTaskArgument::at($path, 'is a closure; only data can be sent to a Python worker.');
        }
        if (in_array($value, $parents, true)) {
            throw InvalidTaskArgument::at($path, 'refers to itself (a recursive structure cannot be sent).');
        }
        $parents[] = $value;
        if ($value instanceof \JsonSerializable) {
            return self::walk($value->jsonSerialize(), $path, $depth + 1, $parents);
        }
        if ($value instanceof \stdClass) {
            return self::walkMap(get_object_vars($value), $path, $depth, $parents);
        }
        if ($value instanceof \BackedEnum) {
            return self::walk($value->value, $path, $depth + 1, $parents);
        }
        throw InvalidTaskArgument::at($path, sprintf(
            'is an object of class %s; send arrays and scalars, or implement JsonSerializable.',
            $value::class,
        ));
    }

    /**
     * A user map that kombu will read as a marker must be one it can decode: an unknown type or
     * a bad value makes the worker drop the task (or, inside headers, exit).
     */
    private static function checkMarker(\stdClass $object, string $path): void
    {
        $type = $object->__type__;
        if (!in_array($type, KombuMarker::TYPES, true)) {
            throw InvalidTaskArgument::at($path, sprintf(
                'has exactly the keys __type__ and __value__, which kombu decodes as a typed value, but the type %s '
                . 'is not one it knows (%s); the worker would drop the whole message. Add another key or rename them.',
                Describe::value($type),
                implode(', ', KombuMarker::TYPES),
            ));
        }
        // The value as the worker will see it, maps kept apart from lists (as stdClass): Decimal()
        // takes a list, never a dict, and uuid.UUID() the other way round.
        $value = json_decode(self::encode($object->__value__), false, self::MAX_DEPTH + 1, JSON_THROW_ON_ERROR);
        try {
            KombuMarker::decode($type, $value);
            // Python before 3.11 parses only what isoformat() writes; so must every worker.
            if (in_array($type, ['datetime', 'date', 'time'], true) && preg_match(self::ISOFORMAT[$type], $value) !== 1) {
                throw new \UnexpectedValueException(sprintf('%s is not in the form isoformat() writes.', Describe::value($value)));
            }
        } catch (\UnexpectedValueException $e) {
            throw InvalidTaskArgument::at($path, sprintf(
                'is a kombu "%s" marker that the worker cannot decode (%s); the worker would drop the whole message. '
                . 'Send a DateTimeInterface for dates, or fix the value.',
                $type,
                rtrim($e->getMessage(), '.'),
            ));
        }
    }

    private static function marker(string $type, mixed $value): \stdClass
    {
        $marker = new \stdClass();
        $marker->__type__ = $type;
        $marker->__value__ = $value;
        return $marker;
    }
}
