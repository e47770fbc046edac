<?php

declare(strict_types=1);

namespace CeleryBridge\Wire\Amqp;

use CeleryBridge\Exception\SerializationFailed;

/**
 * An AMQP decimal (field type "D"): a signed 32-bit integer and the number of decimal places
 * to shift it right, which is how py-amqp writes a Python Decimal header value (its digits as
 * one integer, its negated exponent as the scale). "1.50" is value 150, scale 2.
 *
 * @internal
 */
final class Decimal
{
    private const TEXT = '/^([+-]?)(\d+)(?:\.(\d+))?$/D';

    /**
     * @throws SerializationFailed
     */
    public function __construct(
        public readonly int $value,
        public readonly int $scale,
    ) {
        if ($scale < 0 || $scale > 255) {
            throw SerializationFailed::because(sprintf(
                'An AMQP decimal scale must be 0..255 (one octet), got %d.',
                $scale,
            ));
        }
        if ($value < -2147483648 || $value > 2147483647) {
            throw SerializationFailed::because(sprintf(
                'An AMQP decimal holds a signed 32-bit integer, got %d (scale %d).',
                $value,
                $scale,
            ));
        }
    }

    /**
     * From decimal text such as "1.50" or "-3": the places written are the scale kept, as
     * Python's Decimal("1.50") keeps them.
     *
     * @throws SerializationFailed
     */
    public static function fromString(string $text): self
    {
        if (preg_match(self::TEXT, $text, $m) !== 1) {
            throw SerializationFailed::because(sprintf(
                'The decimal text "%s" is not digits with an optional sign and fraction, e.g. "1.50".',
                substr($text, 0, 60),
            ));
        }
        $fraction = $m[3] ?? '';
        $digits = ltrim($m[2] . $fraction, '0');
        if (strlen($digits) > 10) {
            throw SerializationFailed::because(sprintf(
                'The decimal "%s" has too many digits for an AMQP decimal (a signed 32-bit integer).',
                $text,
            ));
        }
        $value = (int) ($digits === '' ? '0' : $digits);
        return new self($m[1] === '-' ? -$value : $value, strlen($fraction));
    }
}
