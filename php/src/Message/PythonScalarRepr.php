<?php

declare(strict_types=1);

namespace CeleryBridge\Message;

use CeleryBridge\Wire\PythonTime;

/**
 * Python's text of the scalars PythonRepr meets that PHP writes otherwise: a float as str()
 * writes it, and the datetime a kombu marker decodes to as repr() writes it.
 *
 * @internal
 */
final class PythonScalarRepr
{
    /**
     * Python's str() of a float (the shortest text that reads back to the same double).
     */
    public static function float(float $value): string
    {
        if (is_nan($value)) {
            return 'nan';
        }
        if (is_infinite($value)) {
            return $value > 0 ? 'inf' : '-inf';
        }
        $sign = ($value < 0 || ($value === 0.0 && fdiv(1, $value) < 0)) ? '-' : '';
        $value = abs($value);
        if ($value === 0.0) {
            return $sign . '0.0';
        }
        for ($precision = 0; $precision < 17; $precision++) {
            $sci = sprintf('%.' . $precision . 'e', $value);
            if ((float) $sci === $value) {
                break;
            }
        }
        [$mantissa, $exponent] = explode('e', $sci);
        $digits = rtrim(str_replace('.', '', $mantissa), '0');
        $exponent = (int) $exponent;
        if ($exponent < -4 || $exponent >= 16) {
            $fraction = substr($digits, 1);
            $fraction = $fraction === '' ? '' : '.' . $fraction;
            return sprintf('%s%s%se%s%02d', $sign, $digits[0], $fraction, $exponent < 0 ? '-' : '+', abs($exponent));
        }
        if ($exponent < 0) {
            return $sign . '0.' . str_repeat('0', -$exponent - 1) . $digits;
        }
        $digits = str_pad($digits, $exponent + 1, '0');
        $fraction = substr($digits, $exponent + 1);
        return $sign . substr($digits, 0, $exponent + 1) . '.' . ($fraction === '' ? '0' : $fraction);
    }

    /**
     * repr() of a kombu datetime marker ({"__type__": "datetime", "__value__": <ISO>}), or null
     * for any other map.
     */
    public static function datetimeMarker(\stdClass $value): ?string
    {
        $vars = get_object_vars($value);
        $isMarker = count($vars) === 2 && ($vars['__type__'] ?? null) === 'datetime' && is_string($vars['__value__'] ?? null);
        return $isMarker ? self::datetime($vars['__value__']) : null;
    }

    /**
     * repr() of the Python datetime the worker will decode from an ISO string.
     */
    private static function datetime(string $iso): string
    {
        // KombuJson only lets through markers the worker decodes, so this parses.
        $time = PythonTime::fromisoformat($iso);
        $fields = [(int) $time->format('Y'), (int) $time->format('n'), (int) $time->format('j'),
            (int) $time->format('G'), (int) $time->format('i')];
        $second = (int) $time->format('s');
        $micro = (int) $time->format('u');
        if ($second !== 0 || $micro !== 0) {
            $fields[] = $second;
        }
        if ($micro !== 0) {
            $fields[] = $micro;
        }
        $text = 'datetime.datetime(' . implode(', ', $fields);
        if (preg_match('/([+-]\d{2}:\d{2}|Z)$/', $iso) === 1) {
            $text .= ', tzinfo=' . self::timezone($time->getOffset());
        }
        return $text . ')';
    }

    private static function timezone(int $offset): string
    {
        if ($offset === 0) {
            return 'datetime.timezone.utc';
        }
        // timedelta normalizes to non-negative seconds with negative days.
        $days = intdiv($offset, 86400) - ($offset < 0 ? 1 : 0);
        $seconds = $offset - $days * 86400;
        $delta = $days !== 0 ? sprintf('days=%d, seconds=%d', $days, $seconds) : sprintf('seconds=%d', $seconds);
        return 'datetime.timezone(datetime.timedelta(' . $delta . '))';
    }
}
