<?php

declare(strict_types=1);

namespace CeleryBridge\Wire;

use CeleryBridge\Exception\Describe;

/**
 * Python's ISO 8601 formats, as Celery writes and reads them: isoformat() for what we write
 * (eta, expires, datetime markers), isoparse() for the eta/expires strings a worker accepts,
 * fromisoformat() for the datetime, date and time markers of stored results.
 *
 * @internal
 */
final class PythonTime
{
    private const PATTERN = '/^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?'
        . '(Z|[+-]\d{2}(?::?\d{2})?)?)?$/D';

    /**
     * An eta/expires string as a Celery worker accepts it, and nothing looser; null otherwise.
     *
     * The worker reads these with dateutil's isoparse, which rejects PHP-isms like "tomorrow" or
     * "+1 day" and a space before the offset; a value it rejects makes it drop the message. A
     * string without an offset is read as UTC by every 5.x worker, so it is read as UTC here too.
     */
    public static function isoparse(string $text): ?\DateTimeImmutable
    {
        if (preg_match(self::PATTERN, $text, $m) !== 1) {
            return null;
        }
        [$year, $month, $day] = [(int) $m[1], (int) $m[2], (int) $m[3]];
        [$hour, $minute, $second] = [(int) ($m[4] ?? 0), (int) ($m[5] ?? 0), (int) (($m[6] ?? '') ?: 0)];
        if (!checkdate($month, $day, $year) || $hour > 23 || $minute > 59 || $second > 59) {
            return null;
        }
        $micro = substr(str_pad($m[7] ?? '', 6, '0'), 0, 6);
        $offset = $m[8] ?? '';
        $zone = match (true) {
            $offset === '' || $offset === 'Z' => '+00:00',
            strlen($offset) === 3 => $offset . ':00',
            !str_contains($offset, ':') => substr($offset, 0, 3) . ':' . substr($offset, 3),
            default => $offset,
        };
        $time = \DateTimeImmutable::createFromFormat(
            'Y-m-d H:i:s.u P',
            sprintf('%04d-%02d-%02d %02d:%02d:%02d.%s %s', $year, $month, $day, $hour, $minute, $second, $micro, $zone),
        );
        return $time === false ? null : $time;
    }

    /**
     * Python's datetime.isoformat(): microseconds only when non-zero, offset as +HH:MM, or
     * +HH:MM:SS when it has seconds (local mean time, e.g. Europe/Amsterdam before 1937 is
     * +00:19:32; PHP's "P" would drop the seconds and move the moment).
     */
    public static function isoformat(\DateTimeInterface $time): string
    {
        $text = $time->format((int) $time->format('u') === 0 ? 'Y-m-d\TH:i:sP' : 'Y-m-d\TH:i:s.uP');
        $seconds = abs($time->getOffset()) % 60;
        return $seconds === 0 ? $text : sprintf('%s:%02d', $text, $seconds);
    }

    /**
     * Parses what Python's datetime.fromisoformat() (3.11) accepts in the extended format; a
     * value without an offset (a naive datetime) is read as UTC.
     *
     * @throws \UnexpectedValueException
     */
    public static function fromisoformat(string $text): \DateTimeImmutable
    {
        $pattern = '/^(\d{4})-(\d{2})-(\d{2})(?:[^\d](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?'
            . '(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d{1,6})?)?)?)?)?$/D';
        if (preg_match($pattern, $text, $m) !== 1) {
            throw new \UnexpectedValueException(sprintf('%s is not an ISO 8601 datetime.', Describe::value($text)));
        }
        return self::build(
            (int) $m[1],
            (int) $m[2],
            (int) $m[3],
            (int) ($m[4] ?? 0),
            (int) ($m[5] ?? 0),
            (int) ($m[6] ?? 0),
            $m[7] ?? '',
            $m[8] ?? '',
            $text,
        );
    }

    /**
     * kombu's date marker: the date of what datetime.fromisoformat() reads, at midnight UTC.
     *
     * @throws \UnexpectedValueException
     */
    public static function dateFromisoformat(string $text): \DateTimeImmutable
    {
        $moment = self::fromisoformat($text);
        return self::build((int) $moment->format('Y'), (int) $moment->format('n'), (int) $moment->format('j'), 0, 0, 0, '', '', '');
    }

    /**
     * Python's time.fromisoformat(): HH[:MM[:SS[.ffffff]]][offset], placed on 1970-01-01.
     *
     * @throws \UnexpectedValueException
     */
    public static function timeFromisoformat(string $text): \DateTimeImmutable
    {
        $pattern = '/^T?(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d{1,6})?)?)?)?$/D';
        if (preg_match($pattern, $text, $m) !== 1) {
            throw new \UnexpectedValueException(sprintf('%s is not an ISO 8601 time.', Describe::value($text)));
        }
        return self::build(1970, 1, 1, (int) $m[1], (int) ($m[2] ?? 0), (int) ($m[3] ?? 0), $m[4] ?? '', $m[5] ?? '', $text);
    }

    private static function build(
        int $year,
        int $month,
        int $day,
        int $hour,
        int $minute,
        int $second,
        string $fraction,
        string $offset,
        string $text,
    ): \DateTimeImmutable {
        if ($year < 1 || !checkdate($month, $day, $year) || $hour > 23 || $minute > 59 || $second > 59) {
            throw new \UnexpectedValueException(sprintf('%s is not a valid date and time.', Describe::value($text)));
        }
        $zone = new \DateTimeZone(self::offset($offset, $text));
        $micro = (int) str_pad(substr($fraction, 0, 6), 6, '0');
        $moment = \DateTimeImmutable::createFromFormat(
            '!Y-m-d H:i:s.u',
            sprintf('%04d-%02d-%02d %02d:%02d:%02d.%06d', $year, $month, $day, $hour, $minute, $second, $micro),
            $zone,
        );
        if ($moment === false) {
            throw new \UnexpectedValueException(sprintf('%s is not a valid date and time.', Describe::value($text)));
        }
        return $moment;
    }

    private static function offset(string $offset, string $text): string
    {
        if ($offset === '' || $offset === 'Z') {
            return 'UTC';
        }
        $digits = str_replace(':', '', $offset);
        $hours = (int) substr($digits, 1, 2);
        $minutes = (int) (substr($digits, 3, 2) ?: '0');
        $seconds = (int) (substr($digits, 5, 2) ?: '0');
        // Python adds the parts up ("+05:60" is +06:00) and wants strictly less than a day.
        $total = $hours * 3600 + $minutes * 60 + $seconds;
        if ($total >= 86400) {
            throw new \UnexpectedValueException(sprintf('%s has an invalid UTC offset.', Describe::value($text)));
        }
        [$hours, $minutes, $seconds] = [intdiv($total, 3600), intdiv($total % 3600, 60), $total % 60];
        // PHP time zones have whole-second offsets; Python allows microseconds there, never used.
        $zone = sprintf('%s%02d:%02d', $digits[0], $hours, $minutes);
        return $seconds === 0 ? $zone : sprintf('%s:%02d', $zone, $seconds);
    }
}
