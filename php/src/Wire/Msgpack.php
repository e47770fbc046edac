<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

use CeleryBridge\Exception\SerializationFailed;

/**
 * MessagePack for normalized kombu data, as kombu's msgpack serializer writes it
 * (packb(use_bin_type=True): text as str, floats as float 64).
 *
 * Written here because ext-msgpack packs an empty PHP array as an array, and Celery drops a task
 * whose kwargs is not a map. kombu's msgpack has no datetime type, so dates are refused.
 *
 * @internal
 */
final class Msgpack
{
    public static function pack(mixed $value): string
    {
        return match (true) {
            $value === null => "\xc0",
            $value === false => "\xc2",
            $value === true => "\xc3",
            is_int($value) => self::int($value),
            is_float($value) => "\xcb" . pack('E', $value),
            is_string($value) => self::header(strlen($value), 0xa0, 31, "\xd9", "\xda", "\xdb") . $value,
            is_array($value) && array_is_list($value) => self::header(count($value), 0x90, 15, null, "\xdc", "\xdd")
                . implode('', array_map(self::pack(...), $value)),
            is_array($value) => self::map($value),
            $value instanceof \stdClass => self::map(get_object_vars($value)),
            default => throw SerializationFailed::because('msgpack cannot carry a ' . get_debug_type($value) . '.'),
        };
    }

    /**
     * @param array<array-key, mixed> $map
     */
    private static function map(array $map): string
    {
        if (count($map) === 2 && isset($map['__type__'], $map['__value__'])) {
            throw SerializationFailed::because(sprintf(
                'kombu\'s msgpack serializer has no "%s" type (dates need the json serializer).',
                is_string($map['__type__']) ? $map['__type__'] : 'typed',
            ));
        }
        $out = self::header(count($map), 0x80, 15, null, "\xde", "\xdf");
        foreach ($map as $key => $item) {
            $out .= self::pack((string) $key) . self::pack($item);
        }
        return $out;
    }

    private static function int(int $value): string
    {
        return match (true) {
            $value >= 0 && $value <= 0x7f => chr($value),
            $value < 0 && $value >= -32 => chr($value & 0xff),
            $value >= 0 && $value <= 0xff => "\xcc" . chr($value),
            $value >= 0 && $value <= 0xffff => "\xcd" . pack('n', $value),
            $value >= 0 && $value <= 0xffffffff => "\xce" . pack('N', $value),
            $value >= 0 => "\xcf" . pack('J', $value),
            $value >= -0x80 => "\xd0" . chr($value & 0xff),
            $value >= -0x8000 => "\xd1" . pack('n', $value & 0xffff),
            $value >= -0x80000000 => "\xd2" . pack('N', $value & 0xffffffff),
            default => "\xd3" . pack('J', $value),
        };
    }

    /**
     * The type byte and length of a str, array or map, in the smallest form that fits.
     */
    private static function header(int $length, int $fix, int $fixMax, ?string $one, string $two, string $four): string
    {
        return match (true) {
            $length <= $fixMax => chr($fix | $length),
            $one !== null && $length <= 0xff => $one . chr($length),
            $length <= 0xffff => $two . pack('n', $length),
            default => $four . pack('N', $length),
        };
    }
}
