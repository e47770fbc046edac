<?php

declare(strict_types=1);

namespace CeleryBridge\Wire\Amqp;

use CeleryBridge\Exception\Describe;
use CeleryBridge\Exception\SerializationFailed;

/**
 * AMQP 0-9-1's fixed-width and length-prefixed primitives, big-endian (network order) as the
 * spec requires. Each writer refuses a value the field cannot hold instead of truncating it:
 * a cut shortstr or a wrapped octet would reach the broker as a different value.
 *
 * @internal
 */
final class Octets
{
    private function __construct()
    {
    }

    /**
     * shortstr: one length octet, then at most 255 bytes (exchange and queue names, routing keys,
     * content_type, correlation_id, reply_to, expiration, table keys).
     *
     * @throws SerializationFailed
     */
    public static function shortString(string $value, string $what): string
    {
        if (strlen($value) > 255) {
            throw SerializationFailed::because(sprintf(
                'The AMQP %s %s is %d bytes long; AMQP short strings hold at most 255 bytes.',
                $what,
                Describe::value($value),
                strlen($value),
            ));
        }
        return chr(strlen($value)) . $value;
    }

    /**
     * longstr: a 32-bit unsigned length, then the bytes.
     */
    public static function longString(string $value): string
    {
        return pack('N', strlen($value)) . $value;
    }

    /**
     * @throws SerializationFailed
     */
    public static function octet(int $value, string $what): string
    {
        if ($value < 0 || $value > 255) {
            throw SerializationFailed::because(sprintf(
                'The AMQP %s %d is out of range; it is one octet, 0..255.',
                $what,
                $value,
            ));
        }
        return chr($value);
    }

    public static function short(int $value): string
    {
        return pack('n', $value);
    }

    /**
     * An unsigned 64-bit integer (body size, timestamp); PHP's int covers 0..2**63-1 of it.
     *
     * @throws SerializationFailed
     */
    public static function unsignedLongLong(int $value, string $what): string
    {
        if ($value < 0) {
            throw SerializationFailed::because(sprintf(
                'The AMQP %s %d is negative; the field is an unsigned 64-bit integer.',
                $what,
                $value,
            ));
        }
        return pack('J', $value);
    }
}
