<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

use CeleryBridge\Exception\Describe;

/**
 * kombu's JSON type markers, read as kombu's decoder reads them.
 *
 * kombu turns every JSON object whose keys are exactly {__type__, __value__} into a Python value
 * (kombu/utils/json.py): datetime.fromisoformat(), date, time.fromisoformat(), Decimal(),
 * uuid.UUID(**value), str.encode() for "bytes", base64 for "base64". A marker it cannot decode
 * makes the whole message undecodable: the worker drops the task, and inside the envelope's
 * headers it stops the worker. The result backend reads results through the same table, and
 * the publisher checks user data against it before anything is written.
 *
 * @internal
 */
final class KombuMarker
{
    public const TYPES = ['datetime', 'date', 'time', 'decimal', 'uuid', 'bytes', 'base64'];

    /**
     * Whether kombu reads this map as a typed value: its keys are exactly __type__ and __value__.
     *
     * @param array<array-key, mixed> $map
     */
    public static function shaped(array $map): bool
    {
        return count($map) === 2 && array_key_exists('__type__', $map) && array_key_exists('__value__', $map);
    }

    private function __construct()
    {
    }

    /**
     * The PHP value of a marker: DateTimeImmutable for datetime, date and time; a string for
     * the others (decimal text, canonical UUID, bytes).
     *
     * @param mixed $value the "__value__" as decoded JSON (maps as arrays)
     * @throws \UnexpectedValueException when kombu could not decode it either
     */
    public static function decode(mixed $type, mixed $value): mixed
    {
        return match ($type) {
            'datetime' => PythonTime::fromisoformat(self::markerString('datetime', $value)),
            'date' => PythonTime::dateFromisoformat(self::markerString('date', $value)),
            'time' => PythonTime::timeFromisoformat(self::markerString('time', $value)),
            'decimal' => self::decimal($value),
            'uuid' => PythonUuid::canonical($value),
            'bytes' => self::markerString('bytes', $value),
            'base64' => self::base64(self::markerString('base64', $value)),
            default => throw new \UnexpectedValueException(sprintf(
                'it contains a kombu type marker of unknown type %s (kombu itself refuses it too).',
                self::show($type),
            )),
        };
    }

    private static function markerString(string $type, mixed $value): string
    {
        if (!is_string($value)) {
            throw new \UnexpectedValueException(sprintf('a "%s" marker holds %s instead of a string.', $type, Describe::jsonKind($value)));
        }
        return $value;
    }

    private static function decimal(mixed $value): string
    {
        $text = PythonDecimal::text($value);
        if ($text === null) {
            throw new \UnexpectedValueException(sprintf(
                'a "decimal" marker holds %s, which is not a decimal Python\'s Decimal() reads.',
                is_string($value) ? self::show($value) : Describe::jsonKind($value),
            ));
        }
        return $text;
    }

    /**
     * base64.b64decode() without validate: characters outside the alphabet are skipped, and the
     * first "=" that completes a quantum (after at least two data characters in it) ends the
     * data; whatever follows is ignored. A last quantum of one character, or two or three
     * without their padding, is an error ("QUJ" is refused, "QUJ=" is b"AB").
     */
    private static function base64(string $text): string
    {
        $clean = (string) preg_replace('#[^A-Za-z0-9+/=]+#', '', $text);
        $length = strlen($clean);
        $quad = 0;
        $pads = 0;
        $at = 0;
        while ($at < $length) {
            $run = strcspn($clean, '=', $at);
            if ($run > 0) {
                $quad = ($quad + $run) % 4;
                $pads = 0;
                $at += $run;
                continue;
            }
            if ($quad >= 2 && $quad + ++$pads >= 4) {
                return self::base64Data(substr($clean, 0, $at));
            }
            $at++;
        }
        if ($quad !== 0) {
            throw new \UnexpectedValueException(sprintf(
                'a "base64" marker holds %s, which is not base64 (incorrect padding).',
                self::show($text),
            ));
        }
        return self::base64Data($clean);
    }

    /** The bytes of the data characters, a partial last quantum giving its whole bytes. */
    private static function base64Data(string $clean): string
    {
        $data = str_replace('=', '', $clean);
        $whole = intdiv(strlen($data), 4) * 4;
        $bytes = (string) base64_decode(substr($data, 0, $whole), true);
        $rest = substr($data, $whole);
        if ($rest !== '') {
            // Two characters carry one byte, three carry two; the bits left over are dropped.
            $bytes .= substr((string) base64_decode(str_pad($rest, 4, 'A')), 0, strlen($rest) - 1);
        }
        return $bytes;
    }

    private static function show(mixed $value): string
    {
        return Describe::value($value);
    }
}
