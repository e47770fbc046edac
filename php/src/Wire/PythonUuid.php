<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

use CeleryBridge\Exception\Describe;

/**
 * What Python's uuid.UUID(**value) accepts, which is how kombu decodes a "uuid" marker; the
 * canonical 8-4-4-4-12 form of the UUID it makes.
 *
 * @internal
 */
final class PythonUuid
{
    private const ARGUMENTS = ['hex', 'bytes', 'bytes_le', 'fields', 'int', 'version', 'is_safe'];

    private function __construct()
    {
    }

    /**
     * uuid.UUID(**value): a map of its keyword arguments, exactly one of hex, int and fields not
     * null (bytes and bytes_le need Python bytes, which JSON cannot carry), version 1..5 to
     * set, is_safe anything. An int that is a float passes Python's range check but makes a
     * UUID that cannot be printed, so it is refused here.
     */
    public static function canonical(mixed $value): string
    {
        $args = $value instanceof \stdClass ? get_object_vars($value) : $value;
        if (!is_array($args) || ($args !== [] && array_is_list($args))) {
            throw self::fail('a "uuid" marker does not hold a map of uuid.UUID() arguments like {"hex": "<32 hex digits>"}.');
        }
        $unknown = array_diff(array_map('strval', array_keys($args)), self::ARGUMENTS);
        if ($unknown !== []) {
            $name = Describe::value(reset($unknown));
            throw self::fail(sprintf('a "uuid" marker holds the argument %s, which uuid.UUID() does not take.', $name));
        }
        $given = array_filter(
            ['hex' => $args['hex'] ?? null, 'int' => $args['int'] ?? null, 'fields' => $args['fields'] ?? null,
                'bytes' => $args['bytes'] ?? null, 'bytes_le' => $args['bytes_le'] ?? null],
            static fn (mixed $argument): bool => $argument !== null,
        );
        if (count($given) !== 1 || isset($given['bytes']) || isset($given['bytes_le'])) {
            throw self::fail('a "uuid" marker must give exactly one of "hex", "int" or "fields".');
        }
        $hex = match (key($given)) {
            'hex' => self::uuidHex($given['hex']),
            'int' => self::uuidInt($given['int']),
            default => self::uuidFields($given['fields']),
        };
        $version = $args['version'] ?? null;
        if ($version !== null) {
            $version = is_bool($version) ? (int) $version : $version;
            if (!is_int($version) || $version < 1 || $version > 5) {
                throw self::fail(sprintf('a "uuid" marker has the version %s, not 1 to 5.', Describe::value($version)));
            }
            // The RFC 4122 variant (10xx) and the version nibble, as uuid.UUID() sets them.
            $hex[12] = dechex($version);
            $hex[16] = dechex((hexdec($hex[16]) & 0x3) | 0x8);
        }
        return Uuid::fromHex($hex);
    }

    /**
     * uuid.UUID(hex=...): "urn:" and "uuid:" removed anywhere (lower case only), braces stripped
     * at both ends, hyphens removed, then exactly 32 characters that int(text, 16) reads:
     * surrounding whitespace, a "+", a "0x" prefix, single underscores between digits.
     */
    private static function uuidHex(mixed $hex): string
    {
        if (!is_string($hex)) {
            throw self::fail(sprintf('a "uuid" marker holds %s as its hex instead of a string.', Describe::jsonKind($hex)));
        }
        $bare = str_replace('-', '', trim(str_replace(['urn:', 'uuid:'], '', $hex), '{}'));
        $length = mb_check_encoding($bare, 'UTF-8') ? mb_strlen($bare, 'UTF-8') : 0;
        $ascii = $length === 32 ? PythonText::toAscii($bare) : null;
        $pattern = '/^[ \t\n\x0b\x0c\r]*\+?(?:0[xX]_?)?([0-9a-fA-F]+(?:_[0-9a-fA-F]+)*)[ \t\n\x0b\x0c\r]*$/D';
        if ($ascii === null || preg_match($pattern, $ascii, $m) !== 1) {
            throw self::fail(sprintf('a "uuid" marker holds %s, which is not a UUID.', Describe::value($hex)));
        }
        return str_pad(strtolower(str_replace('_', '', $m[1])), 32, '0', STR_PAD_LEFT);
    }

    private static function uuidInt(mixed $int): string
    {
        $int = is_bool($int) ? (int) $int : $int;
        if (!is_int($int) || $int < 0) {
            throw self::fail(sprintf('a "uuid" marker holds the int %s, not an integer of 0 or more.', Describe::value($int)));
        }
        return sprintf('%032x', $int);
    }

    /** The six integer fields: 32, 16, 16, 8, 8 and 48 bits. */
    private static function uuidFields(mixed $fields): string
    {
        $bits = [32, 16, 16, 8, 8, 48];
        $ok = is_array($fields) && array_is_list($fields) && count($fields) === 6;
        $hex = '';
        foreach ($ok ? $fields : [] as $i => $field) {
            $field = is_bool($field) ? (int) $field : $field;
            if (!is_int($field) || $field < 0 || ($bits[$i] < 63 && $field >= 1 << $bits[$i])) {
                $ok = false;
                break;
            }
            $hex .= sprintf('%0' . ($bits[$i] / 4) . 'x', $field);
        }
        if (!$ok) {
            throw self::fail('a "uuid" marker holds "fields" that are not six integers of 32, 16, 16, 8, 8, 48 bits.');
        }
        return $hex;
    }

    private static function fail(string $message): \UnexpectedValueException
    {
        return new \UnexpectedValueException($message);
    }
}
