<?php

declare(strict_types=1);

namespace CeleryBridge\Wire\Amqp;

use CeleryBridge\Exception\Describe;
use CeleryBridge\Exception\SerializationFailed;

/**
 * AMQP field tables and arrays with the type letters py-amqp picks for Python values
 * (amqp/serialization.py, _write_item), so that a header table is byte-identical to the one
 * Celery sends:
 *
 *   string            S  long string, never "s" (a PHP string is sent as its bytes)
 *   bool              t
 *   float             d  (double, including whole floats such as 2.0)
 *   int               I  signed 32-bit for -2147483647..2147483647, else L (signed 64-bit;
 *                        py-amqp's letter: RabbitMQ's own is "l", and -2**31 goes to L too)
 *   null              V
 *   \stdClass         F  a nested table; `new \stdClass()` is the empty table Celery writes
 *                        for `stamps`
 *   array, a list     A  (an empty [] is an empty array)
 *   array, with keys  F
 *   \DateTimeInterface T  whole seconds since the epoch, UTC (microseconds dropped)
 *   Decimal           D
 *
 * Anything else (other objects, resources) is refused, as py-amqp refuses it.
 *
 * @internal
 */
final class FieldTable
{
    private const INT32_MAX = 2147483647;

    private function __construct()
    {
    }

    /**
     * A whole table: a 32-bit byte length, then name (shortstr), type letter and value per
     * entry, in the given order. An empty [] here is an empty table (the top-level header
     * table of a protocol 1 message is one).
     *
     * @param array<array-key, mixed>|\stdClass $table
     * @throws SerializationFailed
     */
    public static function encode(array|\stdClass $table): string
    {
        $entries = '';
        foreach (is_array($table) ? $table : get_object_vars($table) as $name => $value) {
            $entries .= Octets::shortString((string) $name, 'header name') . self::value($value, (string) $name);
        }
        return Octets::longString($entries);
    }

    /**
     * One value with its type letter.
     *
     * @throws SerializationFailed
     */
    public static function value(mixed $value, string $name): string
    {
        return match (true) {
            is_string($value) => 'S' . Octets::longString($value),
            is_bool($value) => 't' . ($value ? "\x01" : "\x00"),
            is_float($value) => 'd' . pack('E', $value),
            is_int($value) => $value > self::INT32_MAX || $value < -self::INT32_MAX
                ? 'L' . pack('J', $value)
                : 'I' . pack('N', $value),
            $value === null => 'V',
            $value instanceof \stdClass => 'F' . self::encode($value),
            is_array($value) => array_is_list($value) ? 'A' . self::items($value, $name) : 'F' . self::encode($value),
            $value instanceof \DateTimeInterface => 'T' . Octets::unsignedLongLong($value->getTimestamp(), "timestamp in \"$name\""),
            $value instanceof Decimal => 'D' . chr($value->scale) . pack('N', $value->value),
            default => throw SerializationFailed::because(sprintf(
                'The AMQP header "%s" has the value %s, which has no AMQP field type; use a string, '
                . 'int, float, bool, null, list, map (array or \\stdClass), \\DateTimeInterface or %s.',
                $name,
                Describe::value($value),
                Decimal::class,
            )),
        };
    }

    /**
     * @param list<mixed> $items
     * @throws SerializationFailed
     */
    private static function items(array $items, string $name): string
    {
        $encoded = '';
        foreach ($items as $item) {
            $encoded .= self::value($item, $name);
        }
        return Octets::longString($encoded);
    }
}
