<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

/**
 * How Python's number parsers (int(), Decimal()) see the text they are given: before parsing,
 * CPython turns every Unicode whitespace character into a space and every Unicode decimal digit
 * (category Nd: Arabic-Indic, Devanagari, full-width...) into its ASCII digit; any other
 * non-ASCII character makes the text invalid.
 *
 * @internal
 */
final class PythonText
{
    /** str.isspace() outside ASCII (Python 3.11, Unicode 14). */
    private const SPACES = [
        0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
        0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    ];

    /** str.isspace() in ASCII: Python counts the four separators \x1c..\x1f as whitespace too. */
    public const ASCII_SPACES = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f";

    /**
     * The zero of every run of ten decimal digits outside ASCII in Python 3.11's Unicode
     * database (14.0). A later Unicode adds digits that an older worker's Python refuses, so
     * this table is fixed instead of taken from PHP's ICU.
     */
    private const DIGIT_ZEROS = [
        0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6,
        0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50,
        0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
        0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
        0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50,
        0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
    ];

    private function __construct()
    {
    }

    /**
     * The text with Unicode whitespace as " " and Unicode digits as ASCII digits, or null when
     * it holds another non-ASCII character (or DEL, which CPython treats as non-ASCII here).
     * Lengths in characters are kept.
     */
    public static function toAscii(string $text): ?string
    {
        if (preg_match('/[\x7f-\xff]/', $text) !== 1) {
            return $text;
        }
        if (!mb_check_encoding($text, 'UTF-8')) {
            return null;
        }
        $out = '';
        foreach (mb_str_split($text, 1, 'UTF-8') as $char) {
            $code = mb_ord($char, 'UTF-8');
            if ($code < 0x7f) {
                $out .= $char;
                continue;
            }
            $ascii = self::asciiFor($code);
            if ($ascii === null) {
                return null;
            }
            $out .= $ascii;
        }
        return $out;
    }

    /**
     * The text without the whitespace str.strip() removes at both ends (Unicode whitespace too).
     */
    public static function strip(string $text): string
    {
        $spaces = '\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}';
        $stripped = preg_replace("/^[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f $spaces]+|[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f $spaces]+$/uD", '', $text);
        return $stripped ?? $text;
    }

    private static function asciiFor(int $code): ?string
    {
        if (in_array($code, self::SPACES, true)) {
            return ' ';
        }
        foreach (self::DIGIT_ZEROS as $zero) {
            if ($code >= $zero && $code < $zero + 10) {
                return (string) ($code - $zero);
            }
        }
        return null;
    }
}
