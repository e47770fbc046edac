<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

use CeleryBridge\Exception\InvalidTaskArgument;

/**
 * An integer of any size, sent as its exact digits: JSON numbers have no size limit and Python
 * reads every one of them as an int, but a PHP int stops at 64 bits and a float keeps only
 * about 16 digits. Put one anywhere in args or kwargs:
 *
 *     $celery->sendTask('tasks.add', [BigInteger::fromString('12345678901234567890'), 1]);
 *
 * Only the json serializer can carry it (msgpack integers stop at 64 bits).
 */
final class BigInteger implements \JsonSerializable
{
    private static ?string $token = null;

    private function __construct(public readonly string $digits)
    {
    }

    /**
     * @throws InvalidTaskArgument for anything but an optional "-" and decimal digits
     */
    public static function fromString(string $digits): self
    {
        if (preg_match('/^-?(?:0|[1-9]\d*)\z/', $digits) !== 1) {
            throw InvalidTaskArgument::at('BigInteger', sprintf(
                '"%s" is not a whole number in decimal digits (an optional "-" then digits, no leading zero).',
                strlen($digits) > 60 ? substr($digits, 0, 60) . '...' : $digits,
            ));
        }
        return new self($digits);
    }

    public function __toString(): string
    {
        return $this->digits;
    }

    /**
     * json_encode() has no way to write a raw number it cannot hold: it writes a placeholder
     * string that KombuJson::encode() replaces with the digits.
     */
    public function jsonSerialize(): string
    {
        return self::token() . $this->digits;
    }

    /**
     * The JSON text with every placeholder string replaced by its digits.
     *
     * @internal
     */
    public static function unwrap(string $json): string
    {
        if (self::$token === null || !str_contains($json, self::$token)) {
            return $json;
        }
        return (string) preg_replace('/"' . self::$token . '(-?\d+)"/', '$1', $json);
    }

    /** Random per process, so that no string a user sends can look like a placeholder. */
    private static function token(): string
    {
        return self::$token ??= 'celerybridge-bigint-' . bin2hex(random_bytes(12)) . ':';
    }
}
