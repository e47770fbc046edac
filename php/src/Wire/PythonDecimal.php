<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

/**
 * What Python's decimal.Decimal() constructor (the C implementation, libmpdec) accepts, which
 * is what kombu's "decimal" marker calls: an int, a float, a string, or a (sign, digits,
 * exponent) sequence. Anything else raises, and the worker cannot decode the message.
 *
 * @internal
 */
final class PythonDecimal
{
    /**
     * Decimal() converts exactly, within libmpdec's largest context: the adjusted exponent may
     * not exceed MAX_EMAX, and the exponent may not fall below ETINY (MIN_EMIN - (MAX_PREC - 1)).
     * Beyond them it raises InvalidOperation ("1e99999999999999999999").
     */
    private const MAX_EMAX = 999999999999999999;

    private const ETINY = -1999999999999999997;

    private const SYNTAX = '/^([+-]?)(?:(\d*)(?:\.(\d*))?(?:e([+-]?)(\d+))?|(inf|infinity)|(s?nan)(\d*))$/iD';

    private function __construct()
    {
    }

    /**
     * The value as decimal text, or null when Decimal() raises for it.
     *
     * @param mixed $value a decoded JSON value (maps as arrays or stdClass)
     */
    public static function text(mixed $value): ?string
    {
        return match (true) {
            is_bool($value) => $value ? '1' : '0',
            is_int($value) => (string) $value,
            is_float($value) => is_finite($value) ? (string) $value : (is_nan($value) ? 'NaN' : ($value > 0 ? 'Infinity' : '-Infinity')),
            is_string($value) => self::fromString($value),
            is_array($value) && array_is_list($value) => self::fromTuple($value),
            default => null,
        };
    }

    /**
     * Decimal(str): whitespace stripped at both ends, every underscore dropped (the C
     * implementation ignores them anywhere), Unicode digits read as digits, then libmpdec's
     * syntax, case-insensitive, with no whitespace left inside.
     */
    private static function fromString(string $text): ?string
    {
        $ascii = PythonText::toAscii(str_replace('_', '', PythonText::strip($text)));
        if ($ascii === null || preg_match(self::SYNTAX, $ascii, $m, PREG_UNMATCHED_AS_NULL) !== 1) {
            return null;
        }
        if ($m[6] !== null || $m[7] !== null) {
            return $ascii;
        }
        [$integer, $fraction] = [(string) $m[2], (string) $m[3]];
        if ($integer === '' && $fraction === '') {
            return null;
        }
        return self::inRange($integer . $fraction, strlen($fraction), (string) $m[4], (string) $m[5]) ? $ascii : null;
    }

    /**
     * Decimal((sign, digits, exponent)), from a JSON list: sign 0 or 1, digits 0..9 (Python's
     * bool is an int, so true and false count), exponent an int or "F" (infinity), "n" (NaN),
     * "N" (signalling NaN).
     *
     * @param list<mixed> $tuple
     */
    private static function fromTuple(array $tuple): ?string
    {
        if (count($tuple) !== 3) {
            return null;
        }
        [$sign, $digits, $exponent] = $tuple;
        $sign = is_bool($sign) ? (int) $sign : $sign;
        if (($sign !== 0 && $sign !== 1) || !is_array($digits) || !array_is_list($digits)) {
            return null;
        }
        $coefficient = '';
        foreach ($digits as $digit) {
            $digit = is_bool($digit) ? (int) $digit : $digit;
            if (!is_int($digit) || $digit < 0 || $digit > 9) {
                return null;
            }
            $coefficient .= $digit;
        }
        $prefix = $sign === 1 ? '-' : '';
        if (is_string($exponent)) {
            return match ($exponent) {
                'F' => $prefix . 'Infinity',
                'n' => $prefix . 'NaN' . $coefficient,
                'N' => $prefix . 'sNaN' . $coefficient,
                default => null,
            };
        }
        $exponent = is_bool($exponent) ? (int) $exponent : $exponent;
        if (!is_int($exponent)) {
            return null;
        }
        $coefficient = $coefficient === '' ? '0' : $coefficient;
        $exponentSign = $exponent < 0 ? '-' : '';
        $magnitude = ltrim((string) $exponent, '-');
        return self::inRange($coefficient, 0, $exponentSign, $magnitude) ? $prefix . $coefficient . 'E' . $exponent : null;
    }

    /**
     * Whether libmpdec represents coefficient x 10^(exponent - fractionDigits) exactly.
     */
    private static function inRange(string $coefficient, int $fractionDigits, string $exponentSign, string $exponentDigits): bool
    {
        $magnitude = ltrim($exponentDigits, '0');
        if ($magnitude === '') {
            $exponent = 0;
        } elseif (strlen($magnitude) > 19 || (strlen($magnitude) === 19 && strcmp($magnitude, (string) PHP_INT_MAX) > 0)) {
            // Beyond a 64-bit exponent libmpdec gives up on the text (and it is far out of range).
            return false;
        } else {
            $exponent = $exponentSign === '-' ? -(int) $magnitude : (int) $magnitude;
        }
        $significant = strlen(ltrim($coefficient, '0'));
        $exponent -= $fractionDigits;
        $adjusted = $exponent + max($significant, 1) - 1;
        return $adjusted <= self::MAX_EMAX && $exponent >= self::ETINY;
    }
}
